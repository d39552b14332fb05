"""Vietnamese dates as people here write them: 22/11/2025, 22/11/2025 09:30 (Django's own
Vietnamese formats spell the date out, "Ngày 22 tháng 11 năm 2025", and use dashes when short).
Numbers keep Django's: a comma before decimals, a dot between thousands ("27,8 KB")."""

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "d/m"
