"""Running a child Python that imports the same pykeras as the tests do.

A child started with ``python -c`` from the repository root would import the
source tree (which has no compiled module unless built in place) instead of
the installed package: the child gets the parent's package on PYTHONPATH and
must run in another directory.
"""
import os

import pykeras

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(pykeras.__file__)))
TESTS = os.path.dirname(os.path.abspath(__file__))


def child_env():
    paths = [PACKAGE_PARENT, TESTS, os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
