"""Which of Hygate's modules a wrong second-step code runs through (issue 17's count).

Signs in with a password under the `totp` policy, then posts a wrong app code to
/accounts/login/2fa/ while a profiler notes every function called from the project's own
packages (middleware included). Prints the modules, grouped by package, and the counts.

    PYTHONPATH=. .venv/bin/python bench/trace_wrong_code.py
"""

import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

connection.creation.create_test_db(verbosity=0)

from tests.factories import (  # noqa: E402
    DEFAULT_PASSWORD,
    AuthenticatorFactory,
    SecurityPolicyFactory,
)

PACKAGES = {"accounts", "twofactor", "core", "emailing", "audit", "hygate", "organisations"}


def main() -> None:
    SecurityPolicyFactory(two_factor_policy="totp")
    user = AuthenticatorFactory().user
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    seen: set[str] = set()

    def profile(frame, event, arg):
        if event != "call":
            return
        path = Path(frame.f_code.co_filename)
        try:
            relative = path.relative_to(ROOT)
        except ValueError:
            return
        if relative.parts[0] in PACKAGES:
            seen.add(".".join(relative.with_suffix("").parts))

    sys.setprofile(profile)
    response = client.post("/accounts/login/2fa/", {"action": "verify", "code": "000000"})
    sys.setprofile(None)
    assert response.status_code in (303, 400), response.status_code
    by_package = defaultdict(list)
    for module in sorted(seen):
        by_package[module.split(".")[0]].append(module)
    for package, modules in sorted(by_package.items()):
        print(f"{package}: {', '.join(modules)}")
    print(f"{len(seen)} modules in {len(by_package)} packages")


if __name__ == "__main__":
    main()
