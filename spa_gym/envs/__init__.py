"""The environment families, one folder each: world model, text layer, generator, expert, loaders."""
