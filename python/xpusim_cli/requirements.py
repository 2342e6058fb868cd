"""The Python modules the helper and notebooks need, and the Debian package that ships each."""
import importlib.util

# module -> Debian package (bookworm names); scripts/setup.sh installs the same list.
DEBIAN_PACKAGES = {
    "pandas": "python3-pandas",
    "numpy": "python3-numpy",
    "matplotlib": "python3-matplotlib",
    "yaml": "python3-yaml",
    "nbformat": "python3-nbformat",
    "nbconvert": "python3-nbconvert (and jupyter-nbconvert for the command)",
    "ipykernel": "python3-ipykernel",
}


def missing_modules(modules=None):
    """Returns '<module> (Debian: <package>)' for each module that cannot be imported."""
    names = modules if modules is not None else DEBIAN_PACKAGES.keys()
    return [
        f"{name} (Debian: {DEBIAN_PACKAGES.get(name, '?')})"
        for name in names
        if importlib.util.find_spec(name) is None
    ]


def require(modules):
    """Raises ImportError naming every missing module and its Debian package."""
    missing = missing_modules(modules)
    if missing:
        raise ImportError(
            "xpusim_cli needs Python modules that are not installed: "
            + ", ".join(missing)
            + ". Install them with apt-get (scripts/setup.sh does)."
        )
