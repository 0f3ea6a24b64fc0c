"""XLSX workbooks written by hand, part by part, for what openpyxl itself never writes: a shared-strings
part of any size (openpyxl writes its strings inline), and members that pad the archive."""

from __future__ import annotations

import io
import os
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>
<Override PartName="/xl/strings.xml" ContentType="{CT}.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1"
 Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_REL}">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="strings.xml"/>
</Relationships>"""


def workbook(rows: list[list[str]], strings: int = 0, padding: int = 0) -> bytes:
    """A workbook whose first sheet holds ``rows`` of text, all of it shared strings (in a part named
    otherwise than openpyxl names it), and ``strings`` more shared strings no cell uses, and ``padding``
    bytes of an incompressible member, which make the archive expand no more than a workbook may."""
    texts = [t for row in rows for t in row]
    index = {t: n for n, t in enumerate(dict.fromkeys(texts))}
    cells = "".join(
        f'<row r="{r}">' + "".join(f'<c t="s"><v>{index[t]}</v></c>' for t in row) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    sheet = f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>'
    unused = "<si><t>x</t></si>" * strings  # the same text: it compresses as a bomb's does
    shared = "".join(f"<si><t>{t}</t></si>" for t in index)
    count = len(index) + strings
    sst = f'<?xml version="1.0"?><sst xmlns="{MAIN}" uniqueCount="{count}">{shared}{unused}</sst>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/strings.xml", sst)
        if padding:
            pad = zipfile.ZipInfo("xl/media/padding.bin")
            archive.writestr(pad, os.urandom(padding), zipfile.ZIP_STORED)
    return out.getvalue()
