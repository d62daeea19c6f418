#!/usr/bin/env bash
# Installs free country and ASN databases for Verge's [geo] config from the npm registry.
#
# Usage: scripts/install-geo-db.sh [DIR]        (DIR defaults to /var/lib/verge/geo)
#
# Country: @ip-location-db/geo-whois-asn-country-mmdb, a MaxMind-format file used as is.
# ASN:     @ip-location-db/asn, published on npm only as CSV. It is converted to asn.mmdb
#          by `verge geo import-asn-csv` when that command is available (VERGE_BIN names
#          the binary, default `verge`); otherwise the CSVs are left in DIR/csv.
# Both are CC BY 4.0 (NRO, RouteViews, DB-IP): their notices are copied to DIR/licenses.
# Needs npm and tar. Files are replaced by rename, so a running edge never reads half a file.
set -euo pipefail

readonly COUNTRY_PKG="@ip-location-db/geo-whois-asn-country-mmdb"
readonly COUNTRY_FILE="geo-whois-asn-country.mmdb"
readonly ASN_PKG="@ip-location-db/asn"
readonly ASN_CSVS=(asn-ipv4.csv asn-ipv6.csv)

dir="${1:-/var/lib/verge/geo}"
verge="${VERGE_BIN:-verge}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE NAME: downloads PACKAGE and unpacks it into $work/NAME/package.
fetch() {
    local pkg="$1" dest="$work/$2" tarball
    mkdir -p "$dest"
    tarball="$(npm pack --silent --pack-destination "$dest" "$pkg")"
    tar -xzf "$dest/$tarball" -C "$dest"
    local version
    version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dest/package/package.json")"
    echo "Fetched $pkg $version" >&2
}

# place SOURCE TARGET: copies SOURCE beside TARGET, then renames it into place.
place() {
    local source="$1" target="$2"
    if [[ ! -f "$source" ]]; then
        echo "error: $(basename "$source") is missing from the package; its layout changed" >&2
        exit 1
    fi
    cp "$source" "$target.tmp.$$"
    mv -f "$target.tmp.$$" "$target"
}

# licenses NAME: keeps the package's notices, which CC BY 4.0 asks to pass on.
licenses() {
    local name="$1" notice
    mkdir -p "$dir/licenses/$name"
    for notice in "$work/$name/package/"*LICENSE* "$work/$name/package/MODIFICATIONS" \
        "$work/$name/package/README.md"; do
        if [[ -f "$notice" ]]; then
            cp "$notice" "$dir/licenses/$name/"
        fi
    done
}

mkdir -p "$dir" "$dir/csv"
dir="$(cd "$dir" && pwd)"

fetch "$COUNTRY_PKG" country
place "$work/country/package/$COUNTRY_FILE" "$dir/$COUNTRY_FILE"
licenses country

fetch "$ASN_PKG" asn
for csv in "${ASN_CSVS[@]}"; do
    place "$work/asn/package/$csv" "$dir/csv/$csv"
done
licenses asn

asn_built=no
if "$verge" geo import-asn-csv --help >/dev/null 2>&1; then
    "$verge" geo import-asn-csv --out "$dir/asn.mmdb.tmp.$$" \
        "$dir/csv/${ASN_CSVS[0]}" "$dir/csv/${ASN_CSVS[1]}"
    mv -f "$dir/asn.mmdb.tmp.$$" "$dir/asn.mmdb"
    asn_built=yes
fi

echo "Country database: $dir/$COUNTRY_FILE"
if [[ "$asn_built" == yes ]]; then
    echo "ASN database:     $dir/asn.mmdb"
else
    echo "ASN database:     not built: '$verge geo import-asn-csv' is not available;"
    echo "                  the CSVs are in $dir/csv, rerun with VERGE_BIN set to convert them"
fi
echo
echo "Add to the node config:"
echo
echo "[geo]"
echo "country_db = \"$dir/$COUNTRY_FILE\""
if [[ "$asn_built" == yes ]]; then
    echo "asn_db = \"$dir/asn.mmdb\""
else
    echo "# asn_db = \"$dir/asn.mmdb\"   (once converted)"
fi
