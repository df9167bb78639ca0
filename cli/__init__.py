"""`skill-fleet`: the command line for running the stack and working with skill jobs."""
