from django.urls import path, re_path

from . import search, views
from .cache import cached_page

app_name = "posts"

urlpatterns = [
    path("", views.home, name="home"),
    path("posts/", views.post_list, name="list"),
    path("posts/<str:slug>/", views.post_detail, name="detail"),
    re_path(r"^posts/(?P<slug>[^/]+)$", views.post_without_slash),
    path("categories/", views.category_list, name="categories"),
    path("categories/<str:slug>/", views.category_posts, name="category"),
    path("tags/", views.tag_list, name="tags"),
    re_path(r"^tags/(?P<slug>[^/]+)\.html$", views.tag_html),
    path("tags/<str:slug>/", views.tag_posts, name="tag"),
    path("archive/", views.archive_index, name="archive"),
    path("archive/<int:year>/", views.archive, name="archive-year"),
    path("archive/<int:year>/<int:month>/", views.archive, name="archive-month"),
    path("search/", cached_page(search.search_view), name="search"),
    path("preview/<str:token>/", views.preview, name="preview"),
]
