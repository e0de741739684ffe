from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from posts import admin_views, feeds
from posts.cache import cached_page
from posts.sitemaps import SITEMAPS

feed_urls = [
    path("feed/", cached_page(feeds.PostFeed()), name="site"),
    path("feed/atom/", cached_page(feeds.PostAtomFeed()), name="site-atom"),
    path("recent/feed/", cached_page(feeds.RecentFeed()), name="recent"),
    path("categories/<str:slug>/feed/", cached_page(feeds.CategoryFeed()), name="category"),
    path("categories/<str:slug>/feed/atom/", cached_page(feeds.CategoryAtomFeed()), name="category-atom"),
    path("tags/<str:slug>/feed/", cached_page(feeds.TagFeed()), name="tag"),
    path("tags/<str:slug>/feed/atom/", cached_page(feeds.TagAtomFeed()), name="tag-atom"),
]

search_engine_urls = [
    path(
        "sitemap.xml",
        cached_page(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "seo:sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_page(sitemap_views.sitemap, query=["p"]),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain"), name="robots"),
]


class StaticFileRedirect(RedirectView):
    """The icons browsers ask for at the site's root, from the static files. Not permanent: the
    file's address changes with its content."""

    file = ""

    def get_redirect_url(self, *args, **kwargs):
        return static(self.file)


icon_urls = [
    path("favicon.ico", StaticFileRedirect.as_view(file="posts/favicon.ico")),
    path("apple-touch-icon.png", StaticFileRedirect.as_view(file="posts/apple-touch-icon.png")),
]

urlpatterns = [
    # Before the admin's own view-on-site, which would lead anyone to any post.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(admin_views.view_on_site)),
    path("admin/", admin.site.urls),
    path("markdownx/", include("posts.markdownx_urls")),
    path("", include((feed_urls, "feeds"))),
    path("", include((search_engine_urls, "seo"))),
    path("", include(icon_urls)),
    path("", include("posts.urls")),
]

handler404 = "posts.views.page_not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
