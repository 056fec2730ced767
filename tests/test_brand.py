"""The brand: a manager's logo and colour on /settings/brand, on the customer's pages, inline
in the mail, and the mailbox's sandboxed view of a message's HTML part.

Logos are real images made by Pillow here; contrast ratios are worked out by hand from
WCAG 2's formula: a channel c (0–255) becomes s = c / 255, linear s / 12.92 when s ≤ 0.03928
and ((s + 0.055) / 1.055) ** 2.4 above; L = 0.2126 R + 0.7152 G + 0.0722 B; white on L has
the ratio 1.05 / (L + 0.05).
"""

import base64
import io
import math
import os
import re
import struct
import zlib
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from surveys.customers.brand import clean_logo, contrast_ratio, ratio_text, save_brand
from surveys.staff.accounts import create_user
from tests.helpers import MANAGER_EMAIL, csrf_token, deliver, invite, mailbox_messages, post_ticket

UNREADABLE = "The logo could not be read as a PNG or JPEG image. Upload a PNG or JPEG file."
UNSUBSCRIBE_LINK = re.compile(r"/u/([A-Za-z0-9_-]{43})")
HTML_PART_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)


# Images made here


def png(size=(300, 100), colour=(200, 40, 40), mode="RGB", **save_options):
    """A PNG of one colour, with whatever extra chunks save_options ask for."""
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG", **save_options)
    return buffer.getvalue()


def jpeg(size=(960, 320), colour=(20, 90, 160), **save_options):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=95, **save_options)
    return buffer.getvalue()


def camera_exif(orientation=None):
    """EXIF as a phone writes it: the camera's make and, maybe, a rotation."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    if orientation:
        exif[0x0112] = orientation
    return exif.tobytes()


def noise_png(side):
    """Random pixels compress badly: a PNG of side × side is about 3 × side² bytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def animated_png():
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue")]
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def gif():
    buffer = io.BytesIO()
    Image.new("P", (40, 40)).save(buffer, "GIF")
    return buffer.getvalue()


def png_chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def bomb_png(side=50_000):
    """A PNG whose header claims side × side grey pixels, in a few dozen bytes."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b""))
        + png_chunk(b"IEND", b"")
    )


def png_chunks(content):
    """The chunk types of a PNG, in order."""
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(content):
        (length,) = struct.unpack(">I", content[at : at + 4])
        chunks.append(content[at + 4 : at + 8].decode("ascii"))
        at += 12 + length
    return chunks


def jpeg_markers(content):
    """The markers of a JPEG up to the start of its pixels (SOS)."""
    assert content[:2] == b"\xff\xd8"
    markers, at = [], 2
    while True:
        marker = content[at + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", content[at + 2 : at + 4])
        at += 2 + length


# Posting the form


def post_brand(client, logo=None, filename="logo.png", **fields):
    """POST /settings/brand as the page's form does (multipart, with its CSRF token)."""
    page = client.get("/settings/brand").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "brand_colour": "", **fields}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post("/settings/brand", data=data, content_type="multipart/form-data")


def brand_rows(db):
    return list(
        db.query(
            """SELECT logo_type, logo_width, logo_height, colour, updated_by,
                  length(logo) AS logo_bytes FROM brand"""
        )
    )


def stored_logo(db):
    [row] = db.execute("SELECT logo FROM brand").fetchall()
    return row[0]


@pytest.fixture
def manager_id(manager_client, db):
    [(user_id,)] = db.execute("SELECT id FROM users WHERE email = ?", [MANAGER_EMAIL]).fetchall()
    return user_id


# The logo: only pixels are kept


def test_png_keeps_its_pixels_and_loses_its_text_and_exif(manager_client, db, manager_id):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location")
    upload = png(pnginfo=info, exif=camera_exif())
    assert {"tEXt", "eXIf"} <= set(png_chunks(upload))  # the upload carries both

    response = post_brand(manager_client, upload)

    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/brand"
    assert brand_rows(db) == [
        {
            "logo_type": "image/png",
            "logo_width": 300,
            "logo_height": 100,
            "colour": None,
            "updated_by": manager_id,
            "logo_bytes": len(stored_logo(db)),
        }
    ]
    content = stored_logo(db)
    assert set(png_chunks(content)) == {"IHDR", "IDAT", "IEND"}
    assert b"secret location" not in content and b"SpyCam" not in content
    kept = Image.open(io.BytesIO(content))
    assert (kept.size, kept.convert("RGB").getpixel((150, 50))) == ((300, 100), (200, 40, 40))


def test_jpeg_is_scaled_into_480_by_160_and_loses_exif_and_comment(manager_client, db):
    upload = jpeg((960, 320), exif=camera_exif(), comment=b"secret comment")
    assert 0xE1 in jpeg_markers(upload) and 0xFE in jpeg_markers(upload)  # APP1 (EXIF), COM

    assert post_brand(manager_client, upload, filename="logo.jpg").status_code == 303

    [row] = brand_rows(db)
    assert (row["logo_type"], row["logo_width"], row["logo_height"]) == ("image/jpeg", 480, 160)
    content = stored_logo(db)
    application_or_comment = [
        marker for marker in jpeg_markers(content) if 0xE1 <= marker <= 0xEF or marker == 0xFE
    ]
    assert application_or_comment == []  # only APP0 (JFIF) remains
    assert b"SpyCam" not in content and b"secret comment" not in content
    red, green, blue = Image.open(io.BytesIO(content)).getpixel((240, 80))
    assert abs(red - 20) <= 3 and abs(green - 90) <= 3 and abs(blue - 160) <= 3


def test_exif_rotation_is_applied_before_the_exif_is_dropped(manager_client, db):
    # Orientation 6: the camera was turned; the picture is shown rotated 90° clockwise.
    assert post_brand(manager_client, png((80, 40), exif=camera_exif(orientation=6))).status_code
    [row] = brand_rows(db)
    assert (row["logo_width"], row["logo_height"]) == (40, 80)


def test_a_transparent_png_stays_transparent(manager_client, db):
    assert post_brand(manager_client, png(mode="RGBA", colour=(0, 0, 0, 0))).status_code == 303
    kept = Image.open(io.BytesIO(stored_logo(db)))
    assert (kept.mode, kept.getpixel((1, 1))) == ("RGBA", (0, 0, 0, 0))


def test_sides_up_to_2000_pixels_are_taken(manager_client, db):
    assert post_brand(manager_client, png((2000, 500))).status_code == 303
    [row] = brand_rows(db)
    assert (row["logo_width"], row["logo_height"]) == (480, 120)  # 2000 × 500 shrunk 4.1667×


NOISE = noise_png(320)  # 320 × 320 × 3 = 307,200 bytes of pixels, barely compressible


@pytest.mark.parametrize(
    ("upload", "filename", "message"),
    [
        (gif(), "logo.gif", UNREADABLE),
        (b"Just some text, not pixels.\n", "logo.png", UNREADABLE),
        (
            NOISE,
            "logo.png",
            f"The logo is {math.ceil(len(NOISE) / 1024)} KB; the limit is 200 KB.",
        ),
        (
            png((2001, 10)),
            "logo.png",
            "The logo is 2001 × 10 pixels; each side may be at most 2000 pixels.",
        ),
        (
            bomb_png(),
            "logo.png",
            "The logo has far too many pixels; each side may be at most 2000 pixels.",
        ),
        (animated_png(), "logo.png", "The logo must be a still image; this one is animated."),
        (png()[:80], "logo.png", "The logo could not be read as an image (the file is damaged)."),
        (b"", "logo.png", "The logo file is empty."),
    ],
    ids=["gif", "text-as-png", "300kb", "2001px", "bomb", "animated", "truncated", "empty"],
)
def test_a_logo_that_is_not_a_small_still_png_or_jpeg_is_refused(
    manager_client, db, upload, filename, message
):
    assert len(NOISE) > 300 * 1000
    response = post_brand(manager_client, upload, filename=filename, brand_colour="#1e7b3c")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Nothing was saved." in page
    assert brand_rows(db) == []  # not even the valid colour sent with it


def test_a_refused_upload_leaves_the_saved_brand_as_it_was(manager_client, db):
    assert post_brand(manager_client, png(), brand_colour="#1e7b3c").status_code == 303
    before = brand_rows(db), stored_logo(db)

    assert post_brand(manager_client, gif(), brand_colour="#000000").status_code == 422

    assert (brand_rows(db), stored_logo(db)) == before


def test_saving_without_a_file_keeps_the_logo_and_changes_the_colour(manager_client, db):
    assert post_brand(manager_client, png()).status_code == 303
    logo = stored_logo(db)

    assert post_brand(manager_client, brand_colour="#0000FF").status_code == 303

    [row] = brand_rows(db)
    assert (row["colour"], row["logo_width"], stored_logo(db)) == ("#0000ff", 300, logo)


def test_the_logo_can_be_removed(manager_client, client, db):
    assert post_brand(manager_client, png(), brand_colour="#1e7b3c").status_code == 303
    assert client.get("/brand/logo").status_code == 200

    response = post_brand(manager_client, remove_logo="y", brand_colour="#1e7b3c")

    assert response.status_code == 303
    [row] = brand_rows(db)
    assert (row["logo_type"], row["logo_width"], row["logo_height"], row["logo_bytes"]) == (
        None,
        None,
        None,
        None,
    )
    assert row["colour"] == "#1e7b3c"
    assert client.get("/brand/logo").status_code == 404


def test_removing_and_uploading_at_once_is_refused(manager_client, db):
    assert post_brand(manager_client, png()).status_code == 303
    before = brand_rows(db)
    response = post_brand(manager_client, jpeg(), filename="new.jpg", remove_logo="y")
    assert response.status_code == 422
    assert "Choose a new logo or remove the logo, not both." in response.get_data(as_text=True)
    assert brand_rows(db) == before


def test_the_form_needs_its_csrf_token(manager_client, db):
    response = manager_client.post(
        "/settings/brand",
        data={"brand_colour": "#1e7b3c", "logo": (io.BytesIO(png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "This form expired. Please reload the page and try again." in response.get_data(
        as_text=True
    )
    assert brand_rows(db) == []


def test_the_brand_page_is_for_managers(client, staff_client):
    anonymous = client.application.test_client().get("/settings/brand")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert staff_client.get("/settings/brand").status_code == 403


# The colour: white text on it must reach 4.5:1


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [
        # 118/255 = 0.46275 → ((0.46275 + 0.055) / 1.055) ** 2.4 = 0.18116 = L (grey: R = G = B)
        # → 1.05 / 0.23116 = 4.5422: just above 4.5.
        ("#767676", 4.5422),
        # 119/255 = 0.46667 → 0.18447 → 1.05 / 0.23447 = 4.4781: the next grey falls short.
        ("#777777", 4.4781),
        # Pure red: L = 0.2126 → 1.05 / 0.2626 = 3.9985.
        ("#ff0000", 3.9985),
        # Green 128: 0.50196 → 0.21586; L = 0.7152 × 0.21586 = 0.15438 → 5.1374.
        ("#008000", 5.1374),
        # Pure blue: L = 0.0722 → 1.05 / 0.1222 = 8.5925.
        ("#0000ff", 8.5925),
        ("#ffffff", 1.0),
        ("#000000", 21.0),
    ],
)
def test_contrast_with_white_follows_wcag(colour, ratio):
    assert contrast_ratio("#ffffff", colour) == pytest.approx(ratio, abs=1e-4)


def test_a_ratio_is_cut_not_rounded_so_a_refusal_never_reads_4_50():
    assert (ratio_text(4.4999), ratio_text(4.5422), ratio_text(21.0)) == (
        "4.49:1",
        "4.54:1",
        "21.00:1",
    )


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("#767676", "#767676"),
        ("#2457A6", "#2457a6"),  # upper case is taken, stored lower case
        (" #008000 ", "#008000"),
        ("#000000", "#000000"),
        ("", None),  # empty: Puas's own colour
    ],
)
def test_a_colour_white_text_can_sit_on_is_saved(manager_client, db, sent, stored):
    assert post_brand(manager_client, brand_colour=sent).status_code == 303
    assert [row["colour"] for row in brand_rows(db)] == [stored]


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (
            "#777777",
            "White text on #777777 has a contrast ratio of 4.47:1; it needs at least 4.5:1",
        ),
        (
            "#FF0000",
            "White text on #ff0000 has a contrast ratio of 3.99:1; it needs at least 4.5:1",
        ),
        (
            "#ffffff",
            "White text on #ffffff has a contrast ratio of 1.00:1; it needs at least 4.5:1",
        ),
        ("red", "Enter the colour as # and six hex digits, like #2457a6."),
        ("#12345", "Enter the colour as # and six hex digits, like #2457a6."),
        ("#gggggg", "Enter the colour as # and six hex digits, like #2457a6."),
        ("2457a6", "Enter the colour as # and six hex digits, like #2457a6."),
    ],
)
def test_a_colour_that_fails_contrast_or_form_is_refused(manager_client, db, sent, message):
    response = post_brand(manager_client, png(), brand_colour=sent)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert brand_rows(db) == []  # nor the valid logo sent with it


# Served by Puas itself


def test_the_logo_is_served_with_a_strong_validator(manager_client, client, db):
    assert client.get("/brand/logo").status_code == 404  # none yet
    post_brand(manager_client, png())
    content = stored_logo(db)

    response = client.get("/brand/logo")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.get_data() == content
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/
    assert response.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/brand/logo", headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data()) == (304, b"")
    # The pages link a versioned URL, which may be kept for a year.
    version = etag.strip('"')[:12]
    versioned = client.get(f"/brand/logo?v={version}")
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_colour_is_served_as_a_stylesheet(manager_client, client):
    post_brand(manager_client, brand_colour="#1E7B3C")
    response = client.get("/brand/colour.css?v=1e7b3c")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.get_data(as_text=True) == ":root { --brand: #1e7b3c; }\n"
    assert response.headers["ETag"] == '"1e7b3c"'
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


# The customer's pages


@pytest.fixture
def branded(app, manager_client, api_headers, db):
    """A brand saved, and an invitation delivered to the mailbox: its survey token and its
    unsubscribe token."""
    assert post_brand(manager_client, png(), brand_colour="#1e7b3c").status_code == 303
    manager_client.get("/settings/brand")  # the flash is read here, not on a customer page
    token = invite(app, manager_client, api_headers, "T-8")
    [mail] = mailbox_messages(app)
    text = mail.get_body(("plain",)).get_content()
    etag = manager_client.get("/brand/logo").headers["ETag"].strip('"')
    return token, UNSUBSCRIBE_LINK.search(text).group(1), etag


def customer_pages(client, token, unsubscribe):
    """The survey, its thanks page (after an answer), the unsubscribe page and a link that
    does not exist, as a customer opens them."""
    survey = client.get(f"/s/{token}")
    page = survey.get_data(as_text=True)
    client.post(f"/s/{token}", data={"csrf_token": csrf_token(page), "csat": "4"})
    return {
        "survey": survey,
        "thanks": client.get(f"/s/{token}/thanks"),
        "unsubscribe": client.get(f"/u/{unsubscribe}"),
        "unknown link": client.get("/s/" + "x" * 43),
    }


def test_customer_pages_show_the_logo_and_the_colour(app, branded):
    token, unsubscribe, etag = branded
    pages = customer_pages(app.test_client(), token, unsubscribe)

    assert {name: page.status_code for name, page in pages.items()} == {
        "survey": 200,
        "thanks": 200,
        "unsubscribe": 200,
        "unknown link": 404,
    }
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        assert (
            f'<img class="brand-logo" src="/brand/logo?v={etag[:12]}"\n'
            f'    alt="Acme Support" width="240" height="80">'
        ) in page, name
        assert '<link rel="stylesheet" href="/brand/colour.css?v=1e7b3c">' in page, name
        assert 'class="brand-name"' not in page, name


def test_without_a_brand_the_pages_show_the_name_on_puas_blue(app, manager_client, api_headers):
    token = invite(app, manager_client, api_headers, "T-8")
    page = app.test_client().get(f"/s/{token}").get_data(as_text=True)
    assert '<span class="brand-name">Acme Support</span>' in page
    assert "/brand/" not in page  # neither a logo nor a colour stylesheet


# The mail


def received(smtp_server):
    return [
        message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in smtp_server.handler_ref.messages
    ]


@pytest.fixture
def smtp_app(smtp_config, make_app):
    return make_app()


def test_the_mail_carries_the_logo_inline_and_loads_nothing(smtp_app, smtp_server, db, api_headers):
    create_user(db, "boss@example.com", "correct horse battery staple", "manager")
    [(boss_id,)] = db.execute("SELECT id FROM users").fetchall()
    with smtp_app.app_context():
        save_brand(db, "#1e7b3c", boss_id, logo=clean_logo(png()))
    logo = stored_logo(db)
    post_ticket(smtp_app.test_client(), api_headers, "T-5")
    deliver(smtp_app)

    [message] = received(smtp_server)

    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.iter_parts()
    assert (text_part.get_content_type(), related.get_content_type()) == (
        "text/plain",
        "multipart/related",
    )
    html_part, image_part = related.iter_parts()
    assert (html_part.get_content_type(), image_part.get_content_type()) == (
        "text/html",
        "image/png",
    )
    assert image_part.get_content() == logo
    assert image_part.get_content_disposition() == "inline"
    content_id = image_part["Content-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", content_id)
    html = html_part.get_content()
    # The one image the HTML loads is the attached logo, by its Content-ID.
    assert re.findall(r'src="([^"]*)"', html) == [f"cid:{content_id.strip('<>')}"]
    assert '<img src="cid:' in html and 'alt="Acme Support" width="240" height="80"' in html
    assert "url(" not in html
    assert html.count("background:#1e7b3c;") == 6  # the band above and the five buttons


def test_the_mail_has_five_csat_buttons_of_equal_width(smtp_app, smtp_server, api_headers):
    post_ticket(smtp_app.test_client(), api_headers, "T-5")
    deliver(smtp_app)
    [message] = received(smtp_server)
    assert message.get_body(("related",)) is None  # no logo, no related part
    html = message.get_body(("html",)).get_content()

    table = re.search(r"<table[^>]*table-layout:fixed;[^>]*>\s*<tr>(.*?)</tr>", html, re.DOTALL)
    assert table, "the buttons' table lays its columns out fixed"
    cells = re.findall(r"<td([^>]*)>\s*<a [^>]*>(\d)</a>", table.group(1))
    assert [score for _, score in cells] == ["1", "2", "3", "4", "5"]
    assert [attributes for attributes, _ in cells] == [
        ' width="20%" align="center" style="width:20%;padding:4px;"'
    ] * 5
    assert html.count("background:#2457a6;") == 6  # Puas's own blue without a brand


# The mailbox shows the HTML part, sandboxed


def test_the_mailbox_shows_the_html_part_in_a_sandboxed_frame(app, branded, manager_client, db):
    [filename] = [path.name for path in Path(app.config["MAIL_DIR"]).glob("*.eml")]

    page = manager_client.get(f"/mailbox/{filename}").get_data(as_text=True)
    assert (
        f'<iframe class="mail-html" sandbox src="/mailbox/{filename}/html"\n'
        f'      title="The HTML part of ' in page
    )
    assert '<div class="mail-body">' in page  # the text part beside it

    response = manager_client.get(f"/mailbox/{filename}/html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == HTML_PART_POLICY
    html = response.get_data(as_text=True)
    logo = base64.b64encode(stored_logo(db)).decode("ascii")
    assert re.findall(r'src="([^"]*)"', html) == [f"data:image/png;base64,{logo}"]
    assert "cid:" not in html
    assert "How satisfied are you with the support you received?" in html


def test_a_message_without_html_has_no_frame(app, manager_client):
    folder = Path(app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text-only.eml").write_bytes(b"Subject: Plain\r\n\r\nJust text.\r\n")
    assert "<iframe" not in manager_client.get("/mailbox/text-only.eml").get_data(as_text=True)
    assert manager_client.get("/mailbox/text-only.eml/html").status_code == 404
    assert manager_client.get("/mailbox/missing.eml/html").status_code == 404


def test_the_html_view_is_for_managers(app, branded, client, staff_client):
    [filename] = [path.name for path in Path(app.config["MAIL_DIR"]).glob("*.eml")]
    anonymous = app.test_client().get(f"/mailbox/{filename}/html")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert staff_client.get(f"/mailbox/{filename}/html").status_code == 403
