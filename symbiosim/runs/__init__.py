"""Runs: single runs, outputs, plots and the command line."""
