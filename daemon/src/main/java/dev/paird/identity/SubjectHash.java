package dev.paird.identity;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * OpenSSL's subject name hash ({@code X509_NAME_hash}, what {@code openssl x509 -hash} prints and
 * what {@code openssl rehash} names a CApath file after), computed without OpenSSL.
 *
 * <p>The hash is the first four bytes, read little-endian, of the SHA-1 of the name's canonical
 * encoding: the DER of each RDN's SET, concatenated without the outer SEQUENCE, where every value
 * of a string type OpenSSL canonicalises (UTF8String, BMPString, UniversalString, PrintableString,
 * T61String, IA5String, VisibleString) is converted to UTF-8, stripped of leading and trailing
 * ASCII white space, with each inner run of it collapsed to one space and ASCII letters lowercased,
 * and re-encoded as a UTF8String. Values of other types are kept as they are. An empty name has an
 * empty canonical encoding. This mirrors {@code x509_name_canon} and {@code asn1_string_canon} in
 * OpenSSL's {@code crypto/x509/x_name.c}.
 */
public final class SubjectHash {
  // Universal tags of the string types OpenSSL canonicalises (ASN1_MASK_CANON).
  private static final int UTF8_STRING = 12;
  private static final int PRINTABLE_STRING = 19;
  private static final int T61_STRING = 20;
  private static final int IA5_STRING = 22;
  private static final int VISIBLE_STRING = 26;
  private static final int UNIVERSAL_STRING = 28;
  private static final int BMP_STRING = 30;

  private SubjectHash() {}

  /**
   * The subject hash of {@code certificate} as eight lowercase hex digits; empty if OpenSSL could
   * not hash it either (a value that is not valid in its string type), so it could not look the
   * certificate up by subject.
   */
  public static Optional<String> of(X509Certificate certificate) {
    return of(certificate.getSubjectX500Principal().getEncoded());
  }

  /**
   * The hash of a DER-encoded name, as {@link #of(X509Certificate)}: of a certificate's subject
   * Name as {@link CertificateDer#subjectName} gives it, the same hash.
   */
  public static Optional<String> of(byte[] nameDer) {
    byte[] simple = simpleCanonicalEncoding(nameDer);
    Optional<byte[]> canonical = simple != null ? Optional.of(simple) : canonicalEncoding(nameDer);
    if (canonical.isEmpty()) {
      return Optional.empty();
    }
    byte[] sha1;
    try {
      sha1 = MessageDigest.getInstance("SHA-1").digest(canonical.get());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-1", e);
    }
    long hash =
        (sha1[0] & 0xffL)
            | (sha1[1] & 0xffL) << 8
            | (sha1[2] & 0xffL) << 16
            | (sha1[3] & 0xffL) << 24;
    return Optional.of(String.format(Locale.ROOT, "%08x", hash));
  }

  /**
   * The canonical encoding of a name as devices' names are, without Bouncy Castle's ASN.1 tree:
   * every RDN a SET of one attribute whose value is a UTF8String, PrintableString or IA5String, in
   * DER. Null for any other name, which {@link #canonicalEncoding} then reads: the same bytes for
   * the names both read (SubjectHashTest compares them), and a hub's 10,000 subjects at start-up
   * without 3.5 KB of garbage each.
   */
  static byte[] simpleCanonicalEncoding(byte[] nameDer) {
    int[] name = header(nameDer, 0, nameDer.length);
    if (name == null || nameDer[0] != 0x30 || name[1] != nameDer.length) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(nameDer.length);
    int at = name[0];
    while (at < nameDer.length) {
      int[] set = header(nameDer, at, nameDer.length);
      if (set == null || nameDer[at] != 0x31) {
        return null;
      }
      int[] attribute = header(nameDer, set[0], set[1]);
      if (attribute == null || nameDer[set[0]] != 0x30 || attribute[1] != set[1]) {
        return null;
      }
      int[] type = header(nameDer, attribute[0], attribute[1]);
      if (type == null || nameDer[attribute[0]] != 0x06 || !isObjectIdentifier(nameDer, type)) {
        return null;
      }
      int[] value = header(nameDer, type[1], attribute[1]);
      if (value == null || value[1] != attribute[1]) {
        return null;
      }
      Charset charset;
      switch (nameDer[type[1]]) {
        case UTF8_STRING -> charset = StandardCharsets.UTF_8;
        case PRINTABLE_STRING, IA5_STRING -> charset = StandardCharsets.ISO_8859_1;
        default -> {
          return null;
        }
      }
      String text;
      try {
        text = decode(charset, ByteBuffer.wrap(nameDer, value[0], value[1] - value[0]));
      } catch (CharacterCodingException e) {
        return null;
      }
      byte[] canonical = canonicalText(text).getBytes(StandardCharsets.UTF_8);
      int typeLength = type[1] - attribute[0];
      int sequence = typeLength + encodedLength(canonical.length);
      if (encodedLength(sequence) > 0xffff) {
        // Longer than writeHeader writes; no device's name is.
        return null;
      }
      writeHeader(out, 0x31, encodedLength(sequence));
      writeHeader(out, 0x30, sequence);
      out.write(nameDer, attribute[0], typeLength);
      writeHeader(out, UTF8_STRING, canonical.length);
      out.write(canonical, 0, canonical.length);
      at = set[1];
    }
    return out.toByteArray();
  }

  /**
   * Where the contents of the DER element at {@code at} start and where it ends, if its tag is one
   * byte, its length definite, minimal and within {@code limit}; else null.
   */
  private static int[] header(byte[] der, int at, int limit) {
    try {
      CertificateDer.Element element = CertificateDer.element(der, at, limit, "subject");
      return new int[] {element.contents(), element.end()};
    } catch (CertificateException e) {
      return null;
    }
  }

  /** An OBJECT IDENTIFIER's contents as Bouncy Castle accepts them: no sub-identifier padded. */
  private static boolean isObjectIdentifier(byte[] der, int[] element) {
    if (element[0] == element[1] || (der[element[1] - 1] & 0x80) != 0) {
      return false;
    }
    boolean start = true;
    for (int i = element[0]; i < element[1]; i++) {
      if (start && (der[i] & 0xff) == 0x80) {
        return false;
      }
      start = (der[i] & 0x80) == 0;
    }
    return true;
  }

  private static int encodedLength(int length) {
    return length < 0x80 ? 2 + length : length < 0x100 ? 3 + length : 4 + length;
  }

  private static void writeHeader(ByteArrayOutputStream out, int tag, int length) {
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else {
      out.write(0x82);
      out.write(length >> 8);
      out.write(length);
    }
  }

  /** The canonical encoding as Bouncy Castle reads and writes the name; any name. */
  static Optional<byte[]> canonicalEncoding(byte[] nameDer) {
    X500Name name;
    try {
      name = X500Name.getInstance(ASN1Primitive.fromByteArray(nameDer));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      for (RDN rdn : name.getRDNs()) {
        ASN1EncodableVector entries = new ASN1EncodableVector();
        for (AttributeTypeAndValue entry : rdn.getTypesAndValues()) {
          Optional<ASN1Primitive> value = canonicalValue(entry.getValue().toASN1Primitive());
          if (value.isEmpty()) {
            return Optional.empty();
          }
          entries.add(new DERSequence(new ASN1Encodable[] {entry.getType(), value.get()}));
        }
        if (entries.size() == 0) {
          // OpenSSL builds the canonical form from the name's attributes, each with the index of
          // its RDN: an RDN without attributes leaves nothing in it.
          continue;
        }
        // A DER SET sorts its members by their encoding, as OpenSSL's encoder does.
        out.write(new DERSet(entries).getEncoded(ASN1Encoding.DER));
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.of(out.toByteArray());
  }

  private static Optional<ASN1Primitive> canonicalValue(ASN1Primitive value) throws IOException {
    if (!(value instanceof ASN1String)) {
      return Optional.of(value);
    }
    byte[] encoded = value.getEncoded(ASN1Encoding.DER);
    int tag = encoded[0] & 0xff;
    Charset charset;
    switch (tag) {
      case UTF8_STRING -> charset = StandardCharsets.UTF_8;
      case BMP_STRING -> charset = StandardCharsets.UTF_16BE;
      case UNIVERSAL_STRING -> charset = Charset.forName("UTF-32BE");
      // OpenSSL reads these byte by byte, each byte one character: Latin-1.
      case PRINTABLE_STRING, T61_STRING, IA5_STRING, VISIBLE_STRING ->
          charset = StandardCharsets.ISO_8859_1;
      default -> {
        return Optional.of(value);
      }
    }
    String text;
    try {
      text = decode(charset, ByteBuffer.wrap(contents(encoded)));
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
    // OpenSSL reads a BMPString as UCS-2 and refuses surrogates, paired or not.
    if (tag == BMP_STRING && text.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
      return Optional.empty();
    }
    return Optional.of(new DERUTF8String(canonicalText(text)));
  }

  /** The text of a string value's bytes; refuses bytes invalid in {@code charset}, as OpenSSL. */
  private static String decode(Charset charset, ByteBuffer bytes) throws CharacterCodingException {
    return charset
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(bytes)
        .toString();
  }

  /** The contents octets of a DER encoding with a one-byte tag. */
  private static byte[] contents(byte[] encoded) {
    int lengthByte = encoded[1] & 0xff;
    int offset = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
    byte[] contents = new byte[encoded.length - offset];
    System.arraycopy(encoded, offset, contents, 0, contents.length);
    return contents;
  }

  /** {@code asn1_string_canon}: trim, collapse and lowercase ASCII; leave the rest alone. */
  static String canonicalText(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isAsciiSpace(text.charAt(start))) {
      start++;
    }
    while (end > start && isAsciiSpace(text.charAt(end - 1))) {
      end--;
    }
    StringBuilder out = new StringBuilder(end - start);
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (isAsciiSpace(c)) {
        out.append(' ');
        while (isAsciiSpace(text.charAt(i + 1))) {
          i++;
        }
      } else if (c >= 'A' && c <= 'Z') {
        out.append((char) (c + ('a' - 'A')));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** OpenSSL's {@code ossl_isspace}: space, tab, line feed, vertical tab, form feed, return. */
  private static boolean isAsciiSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }
}
