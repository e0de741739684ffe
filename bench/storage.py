"""Storage benchmark: what keeping attachments in S3-compatible object storage costs the code that
stores and links them, next to the local disk.

    .venv/bin/python bench/storage.py [--files 300] [--urls 20000]

Stores `--files` small PNGs through Django's storage API, as the editor's upload and the import do
(a free name is looked for, then the file written), and makes `--urls` attachment URLs, as a post's
stored article and each imported body do: with FileSystemStorage in a temporary directory, then
with django-storages' S3Storage configured as DJANGO_MEDIA_STORAGE=s3 configures it, without and
with a custom domain (a CDN), against moto's S3 server on loopback. Loopback leaves out a real
network's latency: add two round trips to the provider per stored file (HEAD, PUT); making a URL
needs none. The last line gives milliseconds per stored file and microseconds per URL.
"""

import argparse
import io
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vdwiki.settings")

import django  # noqa: E402

django.setup()

import boto3  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage, Storage  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
from PIL import Image  # noqa: E402
from storages.backends.s3 import S3Storage  # noqa: E402

from vdwiki.settings import media_storage  # noqa: E402

BUCKET = "vdwiki-bench"


def png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(image, "PNG")
    return image.getvalue()


def measure(storage: Storage, files: int, urls: int) -> tuple[float, float]:
    """Milliseconds per stored file, microseconds per URL made."""
    content = png()
    start = time.perf_counter()
    for number in range(files):
        storage.save(f"attachments/uploads/figure-{number}.png", ContentFile(content))
    per_file = (time.perf_counter() - start) * 1000 / files
    start = time.perf_counter()
    for number in range(urls):
        storage.url(f"attachments/png/Vitamin D – figure {number}.png")
    per_url = (time.perf_counter() - start) * 1_000_000 / urls
    return per_file, per_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--urls", type=int, default=20_000)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory() as directory:
        disk = measure(FileSystemStorage(location=directory, base_url="/media/"), arguments.files, arguments.urls)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        environment = {
            "DJANGO_MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_S3_REGION_NAME": "us-east-1",
        }
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret")
        boto3.client("s3", endpoint_url=environment["AWS_S3_ENDPOINT_URL"], region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        s3 = measure(S3Storage(**media_storage(environment)["OPTIONS"]), arguments.files, arguments.urls)
        cdn_options = media_storage({**environment, "AWS_S3_CUSTOM_DOMAIN": "media.example.org"})["OPTIONS"]
        cdn = measure(S3Storage(**cdn_options), arguments.files, arguments.urls)
    finally:
        server.stop()

    print(f"{'storage':<12} {'ms per stored file':>20} {'µs per URL':>12}")
    for name, (per_file, per_url) in (("local disk", disk), ("S3", s3), ("S3 + CDN", cdn)):
        print(f"{name:<12} {per_file:>20.2f} {per_url:>12.1f}")
    print(
        f"stored file: disk {disk[0]:.2f} ms, S3 {s3[0]:.2f} ms; "
        f"URL: disk {disk[1]:.1f} µs, S3 {s3[1]:.1f} µs, S3 with a custom domain {cdn[1]:.1f} µs"
    )


if __name__ == "__main__":
    main()
