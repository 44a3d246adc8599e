"""`python -m livepeer_tools.compat OLD [NEW]`: the same as `livepeer-spec-compat`."""

import sys

from livepeer_tools.compat import main

sys.exit(main())
