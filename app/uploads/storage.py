"""Where image bytes live. A local folder now; an S3-compatible store can replace it by
implementing the same three methods."""
import os


class LocalStorage:
    def __init__(self, root: str):
        self.root = root

    def _path(self, key: str) -> str:
        safe = "".join(c for c in key if c.isalnum() or c == "-")
        return os.path.join(self.root, safe[:2], safe)

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def load(self, key: str) -> bytes | None:
        try:
            with open(self._path(key), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        try:
            os.remove(self._path(key))
        except FileNotFoundError:
            pass


def get_storage():
    from flask import current_app
    return LocalStorage(current_app.config["UPLOAD_FOLDER"])
