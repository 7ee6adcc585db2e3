"""WengertError: what went wrong, where (file:line:col, the line, a caret) and what to write instead."""

import linecache

GENERATED = "<generated>"  # raised while generating code, before the statement it concerns is known


class WengertError(Exception):
    """Raised for any program wengert cannot differentiate; never an internal traceback."""

    def __init__(self, message, filename="<unknown>", line=0, col=0, source_line="", hint=""):
        self.message, self.filename, self.line, self.col = message, filename, line, col
        self.source_line, self.hint = source_line, hint
        super().__init__(self.format())

    def placed(self, filename, line, hint=""):
        """This error at a line of the user's file (its text and first column), if it had no place yet."""
        if self.filename != GENERATED:
            return self
        text = linecache.getline(filename, line) if line else ""
        return WengertError(self.message, filename, line, len(text) - len(text.lstrip()), text, self.hint + hint)

    def format(self):
        text = f"{self.filename}:{self.line}:{self.col + 1}: error: {self.message}"
        if self.source_line:
            stripped = self.source_line.rstrip("\n")
            text += f"\n    {stripped}\n    {' ' * self.col}^"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
