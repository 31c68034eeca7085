"""The official source files this project knows: where they live and what they are.

Facts from ../shared/data/README.md. ``mipex-kg fetch`` downloads these addresses and
checks the sha256; the loader uses the table to give a file its edition and original
address. A file not listed here can still be loaded (its edition is then inferred
from its years, or given with ``--edition``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownWorkbook:
    file_name: str
    sha256: str
    url: str
    edition: str
    #: False when the address is not known to be the publisher's own (see ``fetch``)
    url_verified: bool = True


MIPEX_CORE_2007_2019 = KnownWorkbook(
    file_name="mipex_core_2007-2019.xlsx",
    sha256="eb9264706bb816d2bf0755fcafde20430050ab20698e6d5991ddd6fac8139096",
    url="https://mipex.eu/sites/default/files/downloads/pdf/"
    "Policy%20Indicators%20Scores%20(2007-2019)%20%E2%80%93%20core%20set%20of%20indicators.xlsx",
    edition="mipex-2020",
)
MIPEX_EU_2020_2024 = KnownWorkbook(
    file_name="mipex_EU_2020-2024.xlsx",
    sha256="c25377d959d63a2ca49a0a2ff509935c754022075b3c2111312a216067817ec4",
    url="https://mipex.eu/sites/default/files/downloads/pdf/"
    "EU%20Policy%20Indicators%20Scores%20(2020-2024).xlsx",
    edition="mipex-2025-eu",
)
#: The 2015 edition's workbook. Its file name is the one it was published under on the
#: MIPEX 2015 website; the copy used here came from a public mirror, and the address
#: below (the 2015 site's downloads folder) is not verified to be the official one.
MIPEX_2015 = KnownWorkbook(
    file_name="policy_indicators_finalwebsite.xlsx",
    sha256="d235280af5d5d71c812393c2fb332c145f8c2a1adaf28ae16314f21cc1842596",
    url="https://www.mipex.eu/sites/default/files/downloads/files/"
    "policy_indicators_finalwebsite.xlsx",
    edition="mipex-2015",
    url_verified=False,
)
KNOWN_WORKBOOKS = (MIPEX_CORE_2007_2019, MIPEX_EU_2020_2024, MIPEX_2015)

#: The editions of the MIPEX system, and the first year that belongs to the later one.
EDITION_BEFORE_2020 = "mipex-2020"
EDITION_FROM_2020 = "mipex-2025-eu"


def known_workbook(file_name: str, sha256: str) -> KnownWorkbook | None:
    """The table entry for a file, matched by content first, then by name."""
    for known in KNOWN_WORKBOOKS:
        if known.sha256 == sha256:
            return known
    for known in KNOWN_WORKBOOKS:
        if known.file_name == file_name:
            return known
    return None


def infer_edition(years: list[int]) -> str:
    """The edition of an unknown workbook: any year before 2020 means the 2020 edition.

    (The 2007-2019 file also carries a few rows dated 2020, so the earliest year decides.)
    """
    return EDITION_BEFORE_2020 if years and min(years) < 2020 else EDITION_FROM_2020
