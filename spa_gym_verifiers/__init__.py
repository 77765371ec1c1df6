"""The verifiers plugin of spa-gym under a plain module name, so verifiers can load it by id (``spa-gym-verifiers``).

verifiers imports a taskset, env or harness id as a top-level module (a dotted path is not looked up), so this
package re-exports :mod:`spa_gym.integrations.verifiers`: ``vf-eval spa-gym-verifiers`` or
``--env.taskset.id spa-gym-verifiers`` find the taskset, env and harness here.
"""

from spa_gym.integrations.verifiers import SPAChatHarness, SPAEnv, SPATaskset, load_environment

__all__ = ["SPAChatHarness", "SPAEnv", "SPATaskset", "load_environment"]
