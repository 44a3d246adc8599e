"""`python -m livepeer_gateway_compat OLD [NEW]`: the same as `livepeer-spec-compat`."""

import sys

from livepeer_gateway_compat import main

sys.exit(main())
