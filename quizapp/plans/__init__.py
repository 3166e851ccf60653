"""The province's CCHC communication plan and its loop: the plan and each unit's plan for the
year, activities logged from a phone (with evidence), completion at a glance, and the quarterly /
6-month / yearly report each unit submits and the province consolidates."""
