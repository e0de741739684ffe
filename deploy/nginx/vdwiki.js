// The request target as gunicorn accepts it. Browsers percent-encode what is outside ASCII, but
// legacy links pasted or crawled by older clients arrive as raw UTF-8 bytes, which HTTP (RFC 9112
// section 3.2) does not allow and gunicorn refuses with a 400. nginx accepts them; this encodes
// every byte outside printable ASCII, leaving the rest of the target exactly as it came.

function target(r) {
    const text = r.variables.request_uri;
    if (/^[\x21-\x7e]*$/.test(text)) {
        return text;
    }
    const bytes = r.rawVariables.request_uri;
    let encoded = '';
    for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i];
        encoded += byte > 0x20 && byte < 0x7f
            ? String.fromCharCode(byte)
            : '%' + (byte < 0x10 ? '0' : '') + byte.toString(16).toUpperCase();
    }
    return encoded;
}

export default { target };
