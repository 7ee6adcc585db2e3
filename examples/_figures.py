"""Where the examples put their pictures, and how a matplotlib figure is written to one."""
import importlib.util
import os
import tempfile


def output_folder(out, prefix):
    """The folder for the pictures: out (--out, created if missing) or a new temporary one named prefix..."""
    out = out or tempfile.mkdtemp(prefix=prefix)
    os.makedirs(out, exist_ok=True)
    return out


def has_matplotlib(pictures="picture"):
    """True if matplotlib is installed; otherwise False, after saying that there will be no pictures."""
    if importlib.util.find_spec("matplotlib") is None:
        print(f"matplotlib is not installed: no {pictures} (pip install 'wengert[examples]')")
        return False
    return True


def save(fig, path):
    """Lay out the matplotlib figure fig, write it to path, close it, and return path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
