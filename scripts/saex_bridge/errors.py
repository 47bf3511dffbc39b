"""One-line user errors."""


class BridgeError(Exception):
    """Bad input or usage: printed as one line, exit code 2."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
