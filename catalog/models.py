"""Every table model, imported in one place for migrations and metadata."""

from catalog.accounts.models import ApiToken, Membership, Organization, OutboxMail, User, UserSession
from catalog.audit.models import AuditEvent
from catalog.authorizations.models import Authorization, AuthorizationDataset
from catalog.datasets.models import Dataset, DatasetAssessment, DatasetSector
from catalog.indexing.models import ChangeLog
from catalog.licences.models import Licence
from catalog.listings.models import ListingEvent, Notification, Objection
from catalog.pricing.models import PriceCap, PriceChange
from catalog.products.models import DataProduct, ProductRevision, ProductSector, ProductSource
from catalog.registrations.models import Registration
from catalog.requests.models import AccessRequest, Follow, RequestEvent, RequestMessage
from catalog.sectors.models import Sector
from catalog.site_settings.models import SiteSetting
from catalog.stats.models import PublishedDisclosure, ViewCount

__all__ = [
    "AccessRequest",
    "ApiToken",
    "AuditEvent",
    "Authorization",
    "AuthorizationDataset",
    "ChangeLog",
    "DataProduct",
    "Dataset",
    "DatasetAssessment",
    "DatasetSector",
    "Follow",
    "Licence",
    "ListingEvent",
    "Membership",
    "Notification",
    "Objection",
    "Organization",
    "OutboxMail",
    "PriceCap",
    "PriceChange",
    "ProductRevision",
    "ProductSector",
    "ProductSource",
    "PublishedDisclosure",
    "Registration",
    "RequestEvent",
    "RequestMessage",
    "Sector",
    "SiteSetting",
    "User",
    "UserSession",
    "ViewCount",
]
