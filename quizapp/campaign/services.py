"""Transitional re-exports of the campaign kit's former ``services`` module (issue 19 split).

The rules live in modules named after what they do: ``wording`` (NFC text, refusals), ``links``
(short links, tags, arrivals), ``print_settings``, ``prizes`` (giving and revoking certificates,
publishing winners), ``awards`` (reading them, what an entrant may download) and
``verification`` (codes).  Every other caller imports those directly.  This file remains only
for ``campaign/views.py``, ``campaign/reports.py``, ``plans/reporting.py`` and
``live/certificates.py``, which other branches of this wave are changing: once they are merged,
point those four at the owning modules (the imports below are the map) and delete this file.
Must not: hold any rule of its own.
"""
from __future__ import annotations

from quizapp.campaign.awards import (
    achievement, award_scope_title, awards_query, get_award_for, my_awards, prize_awards,
    winners_published,
)
from quizapp.campaign.links import (
    channel_report, ChannelRow, CHANNELS, clean_tag, contest_id_from_code, MAX_ID, record_arrival,
    short_code, TAG_RE,
)
from quizapp.campaign.models import CampaignSettings
from quizapp.campaign.print_settings import (
    _root_unit, contest_period, default_settings, save_settings, SETTINGS_FIELDS, settings_for,
)
from quizapp.campaign.prizes import (
    award_counts, clean_reason, finisher_count, FINISHER_PRIZE, mark_finishers, mark_prizes, Marking,
    MAX_PER_TIER, MAX_PRIZE_TIERS, parse_tiers, publish_winners, REASON_MAX, revoke_award, round_of, Tier,
)
from quizapp.campaign.verification import award_by_code, verification_code
from quizapp.campaign.wording import _err, nfc

__all__ = [
    "CampaignSettings", "_err", "_root_unit", "achievement", "award_by_code", "award_counts",
    "award_scope_title", "awards_query", "channel_report", "ChannelRow", "CHANNELS", "clean_reason",
    "clean_tag", "contest_id_from_code", "contest_period", "default_settings", "finisher_count",
    "FINISHER_PRIZE", "get_award_for", "mark_finishers", "mark_prizes", "Marking", "MAX_ID", "MAX_PER_TIER",
    "MAX_PRIZE_TIERS", "my_awards", "nfc", "parse_tiers", "prize_awards", "publish_winners", "REASON_MAX",
    "record_arrival", "revoke_award", "round_of", "save_settings", "SETTINGS_FIELDS", "settings_for",
    "short_code", "TAG_RE", "Tier", "verification_code", "winners_published",
]
