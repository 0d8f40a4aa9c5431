package dev.paird.identity;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The trusted certificates as a PKCS#12 trust store for Java programs ({@code
 * -Djavax.net.ssl.trustStore=trusted.p12 -Djavax.net.ssl.trustStoreType=PKCS12}).
 *
 * <p>The store has no password: it holds only certificates, which are public, so a password would
 * protect nothing, and a MAC keyed by a password written in every consumer's configuration would
 * prove nothing the file's owner and mode do not. So the certificates are not encrypted and there
 * is no MAC. Java loads it with no password set and also with any password given (there is no MAC
 * to check it against); {@code keytool -list} lists it after warning that there is no integrity
 * check. Without salts the encoding is a function of the list, so an unchanged list is an unchanged
 * file.
 *
 * <p>Each certificate is a trusted-certificate entry whose alias is the peer's fingerprint: the bag
 * carries a friendly name and the attribute Java's PKCS#12 key store reads as "trusted for any
 * purpose" (Oracle's {@code 2.16.840.1.113894.746875.1.1} with {@code anyExtendedKeyUsage});
 * without it Java ignores a certificate that has no key.
 */
public final class TrustedPkcs12 {
  /** Java's "trusted key usage" bag attribute (sun.security.pkcs12.PKCS12KeyStore). */
  static final String JAVA_TRUSTED_KEY_USAGE = "2.16.840.1.113894.746875.1.1";

  private TrustedPkcs12() {}

  /**
   * The store of these certificates, each under its alias (a peer's fingerprint), in the map's
   * order, as DER bytes.
   */
  public static byte[] encode(Map<String, X509Certificate> byAlias) {
    List<byte[]> entries = new ArrayList<>(byAlias.size());
    for (Map.Entry<String, X509Certificate> entry : byAlias.entrySet()) {
      entries.add(entry(entry.getKey(), entry.getValue()));
    }
    return assemble(entries);
  }

  /**
   * One certificate's part of a store, as DER bytes, for {@link #assemble}: a store of thousands of
   * certificates is then rebuilt by concatenating the parts kept from before rather than by
   * encoding every certificate again.
   */
  public static byte[] entry(String alias, X509Certificate certificate) {
    return entry(alias, Certificates.der(certificate));
  }

  /** {@link #entry(String, X509Certificate)} of a DER-encoded certificate. */
  public static byte[] entry(String alias, byte[] der) {
    // The authenticated-safe item PKCS12PfxPduBuilder.addData makes: a data ContentInfo holding
    // a SafeContents of the one bag. Written by hand around the certificate's bytes, as assemble()
    // writes the PFX: Bouncy Castle's builder parses the certificate again and builds a tree of
    // every part, some 12 KB of garbage a certificate, which at start-up with 10,000 peers was a
    // fifth of the time spent on the list. TrustedPkcs12Test checks the bytes against the builder.
    byte[] friendlyName = friendlyNameAttribute(alias);
    byte[] first = friendlyName;
    byte[] second = TRUSTED_ATTRIBUTE;
    if (Arrays.compareUnsigned(first, second) > 0) {
      // DER orders a SET OF by the elements' encodings.
      first = TRUSTED_ATTRIBUTE;
      second = friendlyName;
    }
    int certBag = X509_CERTIFICATE_OID.length + Der.encodedLength(Der.encodedLength(der.length));
    int attributes = first.length + second.length;
    int safeBag =
        CERT_BAG_OID.length
            + Der.encodedLength(Der.encodedLength(certBag))
            + Der.encodedLength(attributes);
    int safeContents = Der.encodedLength(safeBag);
    int octets = Der.encodedLength(safeContents);
    int contentInfo = DATA_OID.length + Der.encodedLength(Der.encodedLength(octets));
    Der out = new Der(Der.encodedLength(contentInfo));
    out.header(0x30, contentInfo).bytes(DATA_OID);
    out.header(0xa0, Der.encodedLength(octets)).header(0x04, octets);
    out.header(0x30, safeContents).header(0x30, safeBag).bytes(CERT_BAG_OID);
    out.header(0xa0, Der.encodedLength(certBag)).header(0x30, certBag).bytes(X509_CERTIFICATE_OID);
    out.header(0xa0, Der.encodedLength(der.length)).header(0x04, der.length).bytes(der);
    out.header(0x31, attributes).bytes(first).bytes(second);
    return out.done();
  }

  /** Attribute ::= SEQUENCE { friendlyName OID, SET { BMPString alias } }, as DER. */
  private static byte[] friendlyNameAttribute(String alias) {
    byte[] name = alias.getBytes(StandardCharsets.UTF_16BE);
    int set = Der.encodedLength(name.length);
    int attribute = FRIENDLY_NAME_OID.length + Der.encodedLength(set);
    Der out = new Der(Der.encodedLength(attribute));
    out.header(0x30, attribute).bytes(FRIENDLY_NAME_OID);
    out.header(0x31, set).header(0x1e, name.length).bytes(name);
    return out.done();
  }

  /**
   * The store of these {@link #entry} parts, in order: the same bytes {@link #encode} gives for the
   * certificates they were made of. The PFX is written by hand around the parts (DER is one
   * encoding for one value, so the bytes are those Bouncy Castle's builder would give;
   * TrustedPkcs12Test checks that).
   */
  public static byte[] assemble(List<byte[]> entries) {
    byte[] header = header(entries);
    int length = header.length;
    for (byte[] entry : entries) {
      length += entry.length;
    }
    Der out = new Der(length).bytes(header);
    for (byte[] entry : entries) {
      out.bytes(entry);
    }
    return out.done();
  }

  /**
   * {@link #assemble} as parts to be written one after the other: the PFX's header, then the
   * entries themselves, so that a store of thousands is written without being copied whole.
   */
  public static List<byte[]> assembleParts(List<byte[]> entries) {
    List<byte[]> parts = new ArrayList<>(entries.size() + 1);
    parts.add(header(entries));
    parts.addAll(entries);
    return parts;
  }

  /** The length of {@link #assembleParts}' first part for entries of {@code safeLength} bytes. */
  public static int headerLength(long safeLength) {
    return header(Math.toIntExact(safeLength)).length;
  }

  /**
   * What a withdrawn entry's bag type ends with instead of certBag's 3: 1.2.840.113549.1.12.10.1.0
   * is no PKCS#12 bag type, and Java and OpenSSL skip a bag of a type they do not know.
   */
  public static final byte WITHDRAWN_BAG_TYPE = 0;

  /**
   * Where in an {@link #entry} the last byte of its bag type (certBag) is: the byte that {@link
   * #WITHDRAWN_BAG_TYPE} replaces to withdraw the certificate from a store in place.
   */
  public static int bagTypeEnd(byte[] entry) {
    int at = afterHeader(entry, 0) + DATA_OID.length; // ContentInfo, its type
    at = afterHeader(entry, at); // [0] EXPLICIT
    at = afterHeader(entry, at); // OCTET STRING
    at = afterHeader(entry, at); // SafeContents
    at = afterHeader(entry, at); // SafeBag
    if (!Arrays.equals(entry, at, at + CERT_BAG_OID.length, CERT_BAG_OID, 0, CERT_BAG_OID.length)) {
      throw new IllegalArgumentException("not an entry of a store of certificates");
    }
    return at + CERT_BAG_OID.length - 1;
  }

  /** Where the content of the DER value whose tag is at {@code at} starts. */
  private static int afterHeader(byte[] der, int at) {
    int first = der[at + 1] & 0xff;
    return at + 2 + (first < 0x80 ? 0 : first & 0x7f);
  }

  /** Everything of the PFX before its entries. */
  private static byte[] header(List<byte[]> entries) {
    int safeLength = 0;
    for (byte[] entry : entries) {
      safeLength += entry.length;
    }
    return header(safeLength);
  }

  private static byte[] header(int safeLength) {
    // PFX ::= SEQUENCE { version INTEGER 3, authSafe ContentInfo, (no macData) }
    // ContentInfo ::= SEQUENCE { OID data, [0] EXPLICIT OCTET STRING (AuthenticatedSafe) }
    // AuthenticatedSafe ::= SEQUENCE OF ContentInfo (the entries)
    int octets = Der.encodedLength(safeLength);
    int explicit = Der.encodedLength(octets);
    int contentInfo = DATA_OID.length + Der.encodedLength(explicit);
    int pfx = VERSION_3.length + Der.encodedLength(contentInfo);
    Der out = new Der(Der.encodedLength(pfx) - safeLength);
    out.header(0x30, pfx).bytes(VERSION_3);
    out.header(0x30, contentInfo).bytes(DATA_OID);
    out.header(0xa0, explicit).header(0x04, octets).header(0x30, safeLength);
    return out.done();
  }

  private static final byte[] VERSION_3 = {0x02, 0x01, 0x03};

  // The DER encodings of the object identifiers and the attribute the store is made of, written
  // out rather than encoded by Bouncy Castle at start-up: its ASN.1 classes would otherwise load
  // in every paird (some 47, each resident for good through the class-data archive) for five
  // constants. TrustedPkcs12Test checks the stores' bytes against Bouncy Castle's builder, which
  // encodes these itself.

  /** PKCS#7 data, 1.2.840.113549.1.7.1. */
  private static final byte[] DATA_OID = HexFormat.of().parseHex("06092a864886f70d010701");

  /** PKCS#12 certBag, 1.2.840.113549.1.12.10.1.3. */
  private static final byte[] CERT_BAG_OID = HexFormat.of().parseHex("060b2a864886f70d010c0a0103");

  /** PKCS#9 x509Certificate, 1.2.840.113549.1.9.22.1. */
  private static final byte[] X509_CERTIFICATE_OID =
      HexFormat.of().parseHex("060a2a864886f70d01091601");

  /** PKCS#9 friendlyName, 1.2.840.113549.1.9.20. */
  private static final byte[] FRIENDLY_NAME_OID = HexFormat.of().parseHex("06092a864886f70d010914");

  /**
   * The bag attribute that makes Java trust the certificate for any purpose: {@link
   * #JAVA_TRUSTED_KEY_USAGE} with the set of anyExtendedKeyUsage, 2.5.29.37.0.
   */
  private static final byte[] TRUSTED_ATTRIBUTE =
      HexFormat.of().parseHex("3016060c6086480186f966adca7b010131060604551d2500");

  /** A DER writer of exactly known size: tags, definite lengths and bytes. */
  private static final class Der {
    private final byte[] out;
    private int at;

    Der(int size) {
      out = new byte[size];
    }

    /** Bytes of a value with {@code length} bytes of content: tag, length and content. */
    static int encodedLength(int length) {
      return headerLength(length) + length;
    }

    /** Bytes of a tag and a definite length for {@code length} bytes of content. */
    static int headerLength(int length) {
      if (length < 0x80) {
        return 2;
      }
      int bytes = 0;
      for (int rest = length; rest != 0; rest >>>= 8) {
        bytes++;
      }
      return 2 + bytes;
    }

    Der header(int tag, int length) {
      out[at++] = (byte) tag;
      if (length < 0x80) {
        out[at++] = (byte) length;
        return this;
      }
      int bytes = headerLength(length) - 2;
      out[at++] = (byte) (0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out[at++] = (byte) (length >>> (8 * i));
      }
      return this;
    }

    Der bytes(byte[] content) {
      System.arraycopy(content, 0, out, at, content.length);
      at += content.length;
      return this;
    }

    byte[] done() {
      if (at != out.length) {
        throw new IllegalStateException("wrote " + at + " of " + out.length + " bytes");
      }
      return out;
    }
  }
}
