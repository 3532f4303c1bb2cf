"""The value personal fields read as once their subject's key has been destroyed."""

ERASED = "<erased>"
