"""Hội thi trực tiếp: the live in-hall contest (presenter screen, MC and judge consoles, team
devices, audience phones), on the bank, units, campaign and audit capabilities."""
