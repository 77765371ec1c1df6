"""SPA progress estimation: episodes, the small default model, the estimator, training, incremental scoring."""
