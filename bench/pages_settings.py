"""Settings for bench/pages.py's server: production's, with a bare view beside Hygate's pages.

bench/pages.py sets the environment production needs (keys, a throwaway database,
HYGATE_RATE_LIMITS=off) and HYGATE_BENCH_STATIC_ROOT, where it collects the static files.
"""

import os

from settings.production import *  # noqa: F403

ROOT_URLCONF = "pages_urls"
STATIC_ROOT = os.environ["HYGATE_BENCH_STATIC_ROOT"]
