"""The brand: /settings/brand for managers, and the logo and colour the customer's pages
and the mailbox load from Puas itself (/brand/logo, /brand/colour.css)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from surveys.customers.brand import (
    DEFAULT_COLOUR,
    LOGO_MAX_BYTES,
    LOGO_MAX_SIDE,
    MIN_CONTRAST,
    SHOWN_BOX,
    WHITE,
    contrast_ratio,
    current_brand,
    kilobytes,
    last_change,
    ratio_text,
    save_brand,
)
from surveys.customers.forms import BrandForm
from surveys.security import csrf
from surveys.staff.auth import manager_required
from surveys.store.db import get_db

bp = Blueprint("brand", __name__)

# A URL carrying the current version (?v=) may be kept for a year: a new logo or colour
# gets a new URL. Any other URL is checked again each time, against the strong ETag.
VERSIONED = "public, max-age=31536000, immutable"
UNVERSIONED = "public, no-cache"


@bp.app_context_processor
def brand_in_templates():
    """customer_brand() in every template: the stored brand, read once per request and
    only by the pages that show it."""

    def customer_brand():
        if "customer_brand" not in g:
            g.customer_brand = current_brand(get_db())
        return g.customer_brand

    return {"customer_brand": customer_brand}


@bp.route("/settings/brand", methods=["GET", "POST"])
@csrf.exempt  # checked by BrandForm.validate(), after the size limit below is raised
@manager_required
def settings():
    """Managers set the logo and colour the customers see; all of it is saved, or nothing."""
    db = get_db()
    # Werkzeug holds a file part to the form-field limit (64 KB): let the logo use the
    # whole request size, so a logo too large is refused with a message (422), not a 413.
    # The global CSRF check would read the form before this line, hence the exemption.
    request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]
    form = BrandForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            save_brand(
                db,
                form.colour,
                current_user.id,
                logo=form.new_logo,
                remove_logo=form.remove_logo.data,
            )
            flash("Brand saved. The survey pages and the mail sent from now on show it.", "info")
            return redirect(url_for("brand.settings"), code=303)
        status = 422
    brand = current_brand(db)
    if request.method == "GET":
        form.brand_colour.data = brand.colour or ""
    return render_template(
        "customers/brand/settings.html",
        form=form,
        brand=brand,
        last_change=last_change(db),
        contrast=ratio_text(contrast_ratio(WHITE, brand.shown_colour)),
        default_colour=DEFAULT_COLOUR,
        min_contrast=MIN_CONTRAST,
        max_kb=kilobytes(LOGO_MAX_BYTES),
        max_side=LOGO_MAX_SIDE,
        shown_box=SHOWN_BOX,
    ), status


def cached(body, mimetype, etag):
    """A response with a strong ETag, answering 304 to a request that already has it."""
    response = make_response(body)
    response.mimetype = mimetype
    response.set_etag(etag)
    response.headers["Cache-Control"] = (
        VERSIONED if request.args.get("v") == etag[:12] else UNVERSIONED
    )
    return response.make_conditional(request)


@bp.route("/brand/logo")
def logo():
    """The company's logo (re-encoded on upload), for the customer's pages; 404 without one."""
    brand = current_brand(get_db())
    if brand.logo is None:
        abort(404)
    return cached(brand.logo.content, brand.logo.content_type, brand.logo.etag)


@bp.route("/brand/colour.css")
def colour_css():
    """The brand colour as the stylesheet's --brand (inline styles are refused by the CSP)."""
    colour = current_brand(get_db()).shown_colour
    return cached(f":root {{ --brand: {colour}; }}\n", "text/css", colour[1:])
