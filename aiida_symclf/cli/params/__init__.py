"""Parameters (options) of the command line."""
