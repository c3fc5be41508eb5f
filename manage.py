#!/usr/bin/env python
"""Django's command-line utility; the same as the ``equimentor`` command."""

import sys

from equimentor.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
