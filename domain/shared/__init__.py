"""The shared kernel: event base, aggregate base, errors and personal-data markers."""
