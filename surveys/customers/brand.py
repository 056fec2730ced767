"""The company's brand: its logo and colour on the customer's pages and in the mail.

Managers set them on /settings/brand (`surveys.customers.views.brand`). A logo is opened
with Pillow, checked (PNG or JPEG, one frame, sides up to LOGO_MAX_SIDE) before a pixel is
decoded, then copied pixel by pixel into a new image and encoded afresh: no metadata, no
colour profile, no comment or other chunk of the upload survives. A colour must carry white
text at WCAG's 4.5:1, because the survey puts white text on it (the band, the selected
answer, the button) and uses it for links on white.
"""

import hashlib
import io
import re
from dataclasses import dataclass
from email.utils import make_msgid

from PIL import Image, ImageOps, UnidentifiedImageError

from surveys import clock
from surveys.store.db import immediate

LOGO_MAX_BYTES = 200 * 1024  # the upload, and what is stored (the table's CHECK)
LOGO_MAX_SIDE = 2000  # a larger image is refused before it is decoded (decompression bombs)
# Kept at most this size: twice the 240 × 80 CSS px a logo is shown at, for sharp screens.
LOGO_BOX = (480, 160)
SHOWN_BOX = (240, 80)
KINDS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text
WHITE = "#ffffff"
# The colour Puas uses until a manager sets one (--brand in static/puas.css).
DEFAULT_COLOUR = "#2457a6"
COLOUR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")


class BrandRefused(ValueError):
    """A logo or colour that Puas will not store; the message says why."""


class LogoRefused(BrandRefused):
    """The upload is not a PNG or JPEG logo Puas can keep."""


class ColourRefused(BrandRefused):
    """The colour is malformed, or white text on it is too faint."""


@dataclass(frozen=True)
class Logo:
    """A stored logo: re-encoded bytes, their type and their size in pixels."""

    content: bytes
    content_type: str
    width: int
    height: int

    @property
    def etag(self):
        """A strong validator: the content's digest."""
        return hashlib.sha256(self.content).hexdigest()[:32]

    @property
    def shown_size(self):
        """(width, height) in CSS px: fitted into SHOWN_BOX, never enlarged."""
        scale = min(1, SHOWN_BOX[0] / self.width, SHOWN_BOX[1] / self.height)
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


@dataclass(frozen=True)
class Brand:
    """The logo (or None) and the colour (or None: Puas's own)."""

    logo: Logo | None = None
    colour: str | None = None

    @property
    def shown_colour(self):
        """The colour the pages and mail use."""
        return self.colour or DEFAULT_COLOUR


# Colour


def relative_luminance(colour):
    """WCAG 2's relative luminance of a #rrggbb colour, from 0 (black) to 1 (white)."""
    channels = [int(colour[at : at + 2], 16) / 255 for at in (1, 3, 5)]
    red, green, blue = (
        value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
        for value in channels
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(one, two):
    """WCAG 2's contrast ratio of two #rrggbb colours, from 1 to 21."""
    high, low = sorted((relative_luminance(one), relative_luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ratio_text(ratio):
    """A ratio as people read it, cut (never rounded up) to two decimals: 4.4999 is 4.49:1,
    so a refused colour never reads as 4.50:1."""
    return f"{int(ratio * 100) / 100:.2f}:1"


def parse_colour(text):
    """A submitted colour as stored (lower case), None for empty (Puas's own colour);
    ColourRefused when it is malformed or white text on it falls short of 4.5:1."""
    text = (text or "").strip()
    if not text:
        return None
    if not COLOUR_PATTERN.fullmatch(text):
        raise ColourRefused("Enter the colour as # and six hex digits, like #2457a6.")
    colour = text.lower()
    ratio = contrast_ratio(WHITE, colour)
    if ratio < MIN_CONTRAST:
        raise ColourRefused(
            f"White text on {colour} has a contrast ratio of {ratio_text(ratio)}; it needs at "
            f"least {MIN_CONTRAST}:1 to be readable. Choose a darker colour."
        )
    return colour


# Logo


def clean_logo(content):
    """The logo to store from an upload's bytes: checked, oriented, scaled into LOGO_BOX and
    re-encoded with nothing but its pixels. LogoRefused says what is wrong with it."""
    if len(content) > LOGO_MAX_BYTES:
        raise LogoRefused(
            f"The logo is {kilobytes(len(content))} KB; the limit is "
            f"{kilobytes(LOGO_MAX_BYTES)} KB."
        )
    if not content:
        raise LogoRefused("The logo file is empty.")
    image = _opened(content)
    kind = image.format
    pixels = _pixels_only(image)
    encoded = _encoded(pixels, kind)
    return Logo(encoded, KINDS[kind], pixels.width, pixels.height)


def kilobytes(size):
    """Bytes as whole KB, rounded up (a file 1 byte over the limit must not read as at it)."""
    return -(-size // 1024)


def _opened(content):
    """The upload opened and checked from its header alone: PNG or JPEG, one frame, sides
    within LOGO_MAX_SIDE. Nothing is decoded before these checks pass."""
    unreadable = "The logo could not be read as a PNG or JPEG image. Upload a PNG or JPEG file."
    try:
        # Only the two parsers Puas needs ever see the upload.
        image = Image.open(io.BytesIO(content), formats=tuple(KINDS))
    except Image.DecompressionBombError as error:
        raise LogoRefused(
            f"The logo has far too many pixels; each side may be at most {LOGO_MAX_SIDE} pixels."
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise LogoRefused(unreadable) from error
    if image.format not in KINDS:  # a multi-picture JPEG (MPO), say
        raise LogoRefused(unreadable)
    if getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1:
        raise LogoRefused("The logo must be a still image; this one is animated.")
    width, height = image.size
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise LogoRefused(
            f"The logo is {width} × {height} pixels; each side may be at most "
            f"{LOGO_MAX_SIDE} pixels."
        )
    return image


def _pixels_only(image):
    """A new image holding only the upload's pixels, upright, fitted into LOGO_BOX."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha and image.format == "PNG" else "RGB"
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)  # EXIF goes, so its rotation must apply now
        converted = upright.convert(mode)
    except (OSError, SyntaxError, ValueError) as error:
        raise LogoRefused(
            "The logo could not be read as an image (the file is damaged). Upload a PNG or "
            "JPEG file."
        ) from error
    converted.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    # A fresh image from raw pixels: none of the upload's info (text, EXIF, ICC, comment)
    # comes along, whatever the encoder would otherwise copy from it.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encoded(pixels, kind):
    """The pixels encoded as `kind`; a logo that still exceeds LOGO_MAX_BYTES (noise
    compresses badly) is scaled down until it fits."""
    while True:
        buffer = io.BytesIO()
        if kind == "PNG":
            pixels.save(buffer, "PNG", optimize=True)
        else:
            pixels.save(buffer, "JPEG", quality=90, optimize=True)
        encoded = buffer.getvalue()
        if len(encoded) <= LOGO_MAX_BYTES:
            return encoded
        size = (max(1, pixels.width * 3 // 4), max(1, pixels.height * 3 // 4))
        pixels = pixels.resize(size, Image.Resampling.LANCZOS)


# Stored


def current_brand(db):
    """The brand as stored; Brand() (no logo, Puas's colour) until a manager sets one."""
    rows = list(
        db.query("SELECT logo, logo_type, logo_width, logo_height, colour FROM brand WHERE id = 1")
    )
    if not rows:
        return Brand()
    row = rows[0]
    logo = None
    if row["logo"] is not None:
        logo = Logo(row["logo"], row["logo_type"], row["logo_width"], row["logo_height"])
    return Brand(logo=logo, colour=row["colour"])


def save_brand(db, colour, manager_id, logo=None, remove_logo=False):
    """Store the colour, and the new logo (or none, with remove_logo; else the logo stays),
    in one statement."""
    replace_logo = logo is not None or remove_logo
    values = {
        "colour": colour,
        "replace_logo": int(replace_logo),
        "logo": logo.content if logo else None,
        "logo_type": logo.content_type if logo else None,
        "logo_width": logo.width if logo else None,
        "logo_height": logo.height if logo else None,
        "now": clock.to_iso(clock.now()),
        "manager_id": manager_id,
    }
    with immediate(db):
        db.execute(
            """INSERT INTO brand (id, logo, logo_type, logo_width, logo_height, colour,
                   updated_at, updated_by)
               VALUES (1, :logo, :logo_type, :logo_width, :logo_height, :colour, :now,
                   :manager_id)
               ON CONFLICT (id) DO UPDATE SET
                   logo = CASE WHEN :replace_logo THEN excluded.logo ELSE logo END,
                   logo_type = CASE WHEN :replace_logo THEN excluded.logo_type
                       ELSE logo_type END,
                   logo_width = CASE WHEN :replace_logo THEN excluded.logo_width
                       ELSE logo_width END,
                   logo_height = CASE WHEN :replace_logo THEN excluded.logo_height
                       ELSE logo_height END,
                   colour = excluded.colour,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            values,
        )


def last_change(db):
    """When the brand was last saved and by whom (name and email), or None."""
    rows = list(
        db.query(
            """SELECT brand.updated_at, users.name, users.email FROM brand
             LEFT JOIN users ON users.id = brand.updated_by"""
        )
    )
    return rows[0] if rows else None


# In the mail


def logo_content_id(brand, domain):
    """A new Content-ID for the logo in one mail (with its <>), or None without a logo."""
    return make_msgid("logo", domain or "localhost") if brand.logo else None


def mail_context(brand, content_id):
    """What a mail template needs for the brand: the colour, and the logo's cid: address and
    size (None without a logo)."""
    logo = None
    if brand.logo and content_id:
        width, height = brand.logo.shown_size
        logo = {"src": f"cid:{content_id.strip('<>')}", "width": width, "height": height}
    return {"brand_colour": brand.shown_colour, "logo": logo}
