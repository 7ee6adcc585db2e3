"""WengertError: what went wrong, where (file:line:col, the line, a caret) and what to write instead."""

import collections
import linecache

GENERATED = "<generated>"  # raised while generating code, before the statement it concerns is known

_SOURCES = collections.OrderedDict()  # filename -> its lines, as last parsed (files need not exist on disk)
_KEEP = 64


def remember(filename, lines):
    """Keep the text of a parsed file, so that errors raised later (while deriving) can quote its lines."""
    _SOURCES[filename] = lines
    _SOURCES.move_to_end(filename)
    while len(_SOURCES) > _KEEP:
        _SOURCES.popitem(last=False)


def source_line(filename, line):
    """Line `line` (1-based) of filename as wengert parsed it (else as on disk); "" if unknown."""
    lines = _SOURCES.get(filename)
    if lines is not None:
        return lines[line - 1] if 0 < line <= len(lines) else ""
    return linecache.getline(filename, line).rstrip("\n") if line > 0 else ""


class WengertError(Exception):
    """Raised for any program wengert cannot differentiate; never an internal traceback."""

    def __init__(self, message, filename="<unknown>", line=0, col=0, source_line="", hint=""):
        if line and not source_line and filename != GENERATED:  # a line of the user's file: quote it
            source_line = globals()["source_line"](filename, line)
            if col == 0:
                col = len(source_line) - len(source_line.lstrip())  # the statement, not its indentation
        self.message, self.filename, self.line, self.col = message, filename, line, col
        self.source_line, self.hint = source_line, hint
        super().__init__(self.format())

    def placed(self, filename, line, hint=""):
        """This error at a line of the user's file (its text and first column), if it had no place yet: raised
        while generating code, or without a line (then `line` is the def of the function concerned)."""
        if not (self.filename == GENERATED or self.line == 0 and self.filename == filename) or not line:
            return self
        return type(self)(self.message, filename, line, 0, "", self.hint + hint)

    def format(self):
        where = f"{self.filename}:{self.line}:{self.col + 1}" if self.line else self.filename  # never :0:
        text = f"{where}: error: {self.message}"
        if self.source_line:
            stripped = self.source_line.rstrip("\n")
            text += f"\n    {stripped}\n    {' ' * self.col}^"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class NeedsRanks(WengertError):
    """A derivative that depends on the ranks of arrays not known yet: from Python it is derived per call
    signature (where they are known); elsewhere this is the error."""


class NeedsSizes(WengertError):
    """A recursion whose depth the sizes of the arguments fix: from Python its derivative is compiled for each
    shape it is called with (the recursion unrolled for it); on the command line, --shape with sizes."""
