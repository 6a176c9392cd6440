//! The one X.509 fact the probe needs that rustls does not hand out: a certificate's
//! `notAfter`. Parsed here from DER with a few bounds-checked steps instead of a crate:
//! `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber
//! INTEGER, signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore Time,
//! notAfter Time }, ... } ... }` (RFC 5280 4.1). Only lengths and tags are walked; nothing is
//! trusted from the certificate (chain verification is rustls-webpki's job), so a full parser
//! (x509-parser pulls nom and asn1-rs; x509-cert brings its own type tree) buys nothing here.
//!
//! Invariant: any malformed input gives `None`, never a panic (every index is checked).

/// One DER TLV: tag, contents, and the rest of the input after it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// `notAfter` of a DER certificate, as seconds since the Unix epoch.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (tag, cert, _) = tlv(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = tlv(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs;
    // [0] EXPLICIT version is optional.
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    // serialNumber, signature, issuer.
    for _ in 0..3 {
        rest = tlv(rest)?.2;
    }
    let (tag, validity, _) = tlv(rest)?;
    if tag != SEQUENCE {
        return None;
    }
    let (_, _, after_not_before) = tlv(validity)?;
    let (tag, time, _) = tlv(after_not_before)?;
    parse_time(tag, std::str::from_utf8(time).ok()?)
}

/// UTCTime `YYMMDDHHMMSSZ` (years 50-99 are 19xx) or GeneralizedTime `YYYYMMDDHHMMSSZ`.
fn parse_time(tag: u8, s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (tag, s.len()) {
        (UTC_TIME, 12) => {
            let yy: i64 = s[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        (GENERALIZED_TIME, 14) => (s[..4].parse().ok()?, &s[4..]),
        _ => return None,
    };
    let num = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, min, sec) = (num(0)?, num(2)?, num(4)?, num(6)?, num(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    Some(
        crate::baseline::time::days_from_civil(year, month, day) * 86_400
            + hour * 3600
            + min * 60
            + sec,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_both_encodings() {
        assert_eq!(parse_time(UTC_TIME, "700101000000Z"), Some(0));
        assert_eq!(parse_time(UTC_TIME, "491231235959Z"), Some(2_524_607_999));
        assert_eq!(
            parse_time(GENERALIZED_TIME, "20500101000000Z"),
            Some(2_524_608_000)
        );
        assert_eq!(parse_time(UTC_TIME, "700101000000"), None);
        assert_eq!(parse_time(UTC_TIME, "701301000000Z"), None);
        assert_eq!(parse_time(GENERALIZED_TIME, "700101000000Z"), None);
    }

    /// A minimal certificate-shaped DER: version, serial, algorithm, issuer, validity.
    fn cert_with(not_after: &[u8]) -> Vec<u8> {
        fn wrap(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut v = vec![tag];
            if body.len() < 0x80 {
                v.push(body.len() as u8);
            } else {
                v.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
            }
            v.extend_from_slice(body);
            v
        }
        let validity = [
            wrap(UTC_TIME, b"200101000000Z"),
            wrap(GENERALIZED_TIME, not_after),
        ]
        .concat();
        let tbs = [
            wrap(0xa0, &wrap(0x02, &[2])),
            wrap(0x02, &[1, 2, 3]),
            wrap(SEQUENCE, &wrap(0x06, &[42, 134, 72])),
            wrap(SEQUENCE, &[]),
            wrap(SEQUENCE, &validity),
            wrap(SEQUENCE, &[0u8; 200]),
        ]
        .concat();
        wrap(
            SEQUENCE,
            &[wrap(SEQUENCE, &tbs), wrap(SEQUENCE, &[])].concat(),
        )
    }

    #[test]
    fn not_after_is_read_from_a_certificate_shape() {
        assert_eq!(
            not_after(&cert_with(b"20500101000000Z")),
            Some(2_524_608_000)
        );
    }

    #[test]
    fn malformed_input_gives_none_not_a_panic() {
        let good = cert_with(b"20500101000000Z");
        for cut in 0..good.len() {
            let _ = not_after(&good[..cut]);
        }
        assert_eq!(not_after(&[]), None);
        assert_eq!(not_after(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(not_after(b"not a certificate"), None);
    }
}
