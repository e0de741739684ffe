from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.generic import TemplateView

from posts import admin_views, feeds
from posts.cache import cached_page
from posts.sitemaps import SITEMAPS

feed_urls = [
    path("feed/", cached_page(feeds.PostFeed()), name="site"),
    path("feed/atom/", cached_page(feeds.PostAtomFeed()), name="site-atom"),
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

urlpatterns = [
    # Before the admin's own view-on-site, which would lead anyone to any post.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(admin_views.view_on_site)),
    path("admin/", admin.site.urls),
    path("markdownx/", include("posts.markdownx_urls")),
    path("", include((feed_urls, "feeds"))),
    path("", include((search_engine_urls, "seo"))),
    path("", include("posts.urls")),
]

handler404 = "posts.views.page_not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
