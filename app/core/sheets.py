"""Tables people keep: a CSV (UTF-8, BOM accepted) or an Excel workbook (.xlsx, first sheet,
read with python-calamine) into numbered rows keyed by column code.

Columns are found by their code (`code`, `username`) or by one of their Chinese names
(`编码`, `账号`), so a spreadsheet with a Chinese header row imports as it is. Row numbers are
the spreadsheet's own (the header is row 1), so an error points at the row a person sees."""
import csv
import io
from datetime import date, datetime

# A workbook is a zip: its first bytes.
XLSX_MAGIC = b"PK\x03\x04"
# A compressed workbook may hold far more than its size says: read no larger table.
MAX_ROWS = 20_000
MAX_COLUMNS = 50


class SheetError(Exception):
    """The file cannot be read as a table at all (not a workbook, not UTF-8, no header)."""

    def __init__(self, message: dict):
        super().__init__(message.get("en"))
        self.message = message   # {"zh", "en"}


def _key(text) -> str:
    return "".join(str(text or "").split()).lower().replace("＿", "_")


def _cell(value) -> str:
    """A cell as the text a person typed: 13900000001, not 13900000001.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm"))


def _grid_of(data: bytes, filename: str) -> list[list[str]]:
    if is_xlsx(data, filename):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = book.get_sheet_by_index(0)
            if sheet.total_height > MAX_ROWS + 1 or sheet.total_width > MAX_COLUMNS:
                raise _too_big()
            raw = sheet.to_python(skip_empty_area=False)
        except SheetError:
            raise
        except Exception:  # noqa: BLE001  (calamine raises its own error kinds for a bad zip)
            raise SheetError({"zh": "无法读取该 Excel 文件；请用 Excel 另存为 .xlsx 后再试。",
                              "en": "The Excel file cannot be read; save it again as .xlsx."}) from None
        return [[_cell(v) for v in row] for row in raw]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SheetError({"zh": "文件不是 UTF-8 编码；请在 Excel 中另存为“CSV UTF-8”或 .xlsx。",
                          "en": "The file is not UTF-8; save it from Excel as 'CSV UTF-8' or .xlsx."}) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if len(rows) > MAX_ROWS or len(row) > MAX_COLUMNS:
            raise _too_big()
        rows.append([(v or "").strip() for v in row])
    return rows


def _too_big() -> SheetError:
    return SheetError({"zh": f"表格太大：一次最多导入 {MAX_ROWS} 行、{MAX_COLUMNS} 列，请拆分后再导入。",
                       "en": f"The table is too large: at most {MAX_ROWS} rows and {MAX_COLUMNS} "
                             "columns at once; split it."})


def read_table(data: bytes, filename: str, columns: dict[str, tuple[str, ...]]):
    """(rows, missing): rows are (row number, {code: text}) for every non-empty row;
    `missing` lists the column codes the header lacks. `columns` maps each code to its
    other accepted header names."""
    grid = _grid_of(data, filename)
    while grid and not any(grid[0]):
        grid.pop(0)
    if not grid:
        raise SheetError({"zh": "文件是空的：第一行应为表头。", "en": "The file is empty: the first row must be the header."})
    names = {}
    for code, aliases in columns.items():
        for name in (code, *aliases):
            names[_key(name)] = code
    positions: dict[str, int] = {}
    for index, title in enumerate(grid[0]):
        code = names.get(_key(title))
        if code and code not in positions:
            positions[code] = index
    missing = [c for c in columns if c not in positions]
    rows = []
    for number, row in enumerate(grid[1:], start=2):
        if not any(row):
            continue
        rows.append((number, {c: (row[i] if i < len(row) else "") for c, i in positions.items()}))
    return rows, missing


class Problem:
    """One error of an import file: its row (the header is row 1), its column code (or None
    for the whole row) and the reason in both languages."""

    def __init__(self, row: int, column: str | None, zh: str, en: str):
        self.row, self.column, self.message = row, column, {"zh": zh, "en": en}

    def text(self, lang: str, column_label: str | None = None) -> str:
        where = column_label or self.column
        if lang == "en":
            return f"line {self.row}" + (f", column {where}" if where else "") + f": {self.message['en']}"
        return f"第 {self.row} 行" + (f"“{where}”列" if where else "") + f"：{self.message['zh']}"

    def __repr__(self) -> str:
        return f"Problem({self.row}, {self.column!r}, {self.message['en']!r})"


def find_name(value: str, names: dict[str, tuple[str, ...]]) -> str | None:
    """The code a cell names: the code itself or one of its words (any case, no spaces)."""
    wanted = _key(value)
    for code, words in names.items():
        if wanted == _key(code) or wanted in {_key(w) for w in words}:
            return code
    return None
