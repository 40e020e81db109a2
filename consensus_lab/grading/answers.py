"""Finding and loading a learner's answers file, and the grader's environment settings.

Theory of operation: exercise ``name`` is answered in ``<root>/<set>/<name>.py``
where ``<set>`` is ``exercises`` (the learner's work) or ``solutions`` (the
reference answers); ``answers`` may also be a folder holding ``<name>.py`` or
a path to a ``.py`` file. The root is ``$CONSENSUS_LAB_ROOT`` when set
(checked once: a missing folder is an error that names the variable), else
the first of the current folder, its parent and the package's parent that
holds ``exercises/``. :func:`load_answers` imports the file by path under a
fresh module name each call, so edits made in a notebook take effect.

The registry (which exercises exist) lives above, in
:mod:`consensus_lab.exercises`; this module only needs the exercise's name.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from pathlib import Path
from types import ModuleType

#: The two answer sets shipped in the repository.
ANSWER_SETS = ("exercises", "solutions")
ROOT_VARIABLE = "CONSENSUS_LAB_ROOT"
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
_module_numbers = itertools.count(1)  # fresh module names for load_answers


class SettingError(ValueError):
    """An environment setting of the grader is unusable; the message names the variable."""


class AnswersNotFound(ValueError):
    """``answers`` names no answer set, folder or ``.py`` file; the message says what is allowed."""


def root_from_environment() -> Path | None:
    """``$CONSENSUS_LAB_ROOT`` as a folder, None when unset; SettingError when it is unusable."""
    value = os.environ.get(ROOT_VARIABLE, "")
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        why = "is a file, not a folder" if path.exists() else "does not exist"
        raise SettingError(f"the environment variable {ROOT_VARIABLE} is set to {value!r}, which "
                           f"{why}; set it to the lab's folder (the one holding exercises/ and "
                           f"solutions/), or unset it")
    return path


def default_root() -> Path:
    """The repository root holding ``exercises/`` and ``solutions/`` (see the module doc)."""
    if (env := root_from_environment()) is not None:
        return env
    for candidate in (Path.cwd(), Path.cwd().parent, PACKAGE_PARENT):
        if (candidate / "exercises").is_dir():
            return candidate
    return PACKAGE_PARENT


def answers_path(name: str, answers: str = "exercises", root: str | Path | None = None) -> Path:
    """The file graded for exercise ``name`` (see the module doc for what ``answers`` may be)."""
    if answers.endswith(".py"):
        return Path(answers)
    if answers in ANSWER_SETS:
        return Path(root if root is not None else default_root()) / answers / f"{name}.py"
    folder = Path(answers).expanduser()
    if folder.is_dir():
        return folder / f"{name}.py"
    why = "not a folder" if folder.exists() else "no such folder"
    raise AnswersNotFound(f"answers must be one of {', '.join(ANSWER_SETS)}, a folder holding "
                          f"{name}.py, or a path to a .py file, got {answers!r} ({why})")


def shown_path(path: Path, root: str | Path | None) -> str:
    """``path`` relative to the root when possible (``exercises/vector_clock.py``)."""
    base = Path(root if root is not None else default_root()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)


def load_file(name: str, path: Path) -> ModuleType:
    """Import ``path`` as a fresh module (named after exercise ``name``)."""
    if not path.is_file():
        raise FileNotFoundError(f"no answers file for exercise {name!r}: {path} does not exist")
    module_name = f"_consensus_lab_answers.{name}_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def load_answers(name: str, answers: str = "exercises",
                 root: str | Path | None = None) -> ModuleType:
    """Import the answers file of exercise ``name``, as a fresh module every call."""
    return load_file(name, answers_path(name, answers, root))
