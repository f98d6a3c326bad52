# How dates read on every screen (the admin's work screens, Wagtail's own, the handbook): one format for a
# date and one for a date and time, the ones the project's screens already used most (issue 16). Templates
# write |date:"DATE_FORMAT" / |date:"DATETIME_FORMAT" (|date alone is DATE_FORMAT) and Python code
# django.utils.formats.date_format(value, "DATETIME_FORMAT"), never a literal format: this file decides.
# A literal "Y-m-d" stays only where a machine reads it (an <input type="date"> value, a URL).
# A date inside a sentence of the handbook reads as words: handbook_tags' |prose_date.
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
PROSE_DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
