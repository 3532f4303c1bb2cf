"""Composition root: settings, the container, and the runtime that starts and stops everything."""
