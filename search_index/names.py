"""Index file names from the operating system's random source, not from the ``random`` module.

whoosh names new segments and temporary files with ``random.choice``. Anything that seeds ``random``
(a test framework, a simulation, a library) would make two writers pick the same names, and one commit
would overwrite the other's files. The names here come from ``secrets`` and cannot repeat that way.
Importing this module points whoosh's modules at :func:`random_name`.
"""

from __future__ import annotations

import secrets

from whoosh import writing
from whoosh.codec import base as codec_base
from whoosh.filedb import compound, filestore

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"  # whoosh's own, so names look as they always did


def random_name(size: int = 28) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(size))


for _module in (codec_base, compound, filestore, writing):
    _module.random_name = random_name
