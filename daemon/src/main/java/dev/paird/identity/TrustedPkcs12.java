package dev.paird.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;

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
  static final ASN1ObjectIdentifier JAVA_TRUSTED_KEY_USAGE =
      new ASN1ObjectIdentifier("2.16.840.1.113894.746875.1.1");

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
    try {
      // The authenticated-safe item PKCS12PfxPduBuilder.addData makes: a data ContentInfo
      // holding a SafeContents of the one bag.
      return new ContentInfo(
              PKCSObjectIdentifiers.data,
              new DEROctetString(
                  new DERSequence(bag(alias, certificate).toASN1Structure())
                      .getEncoded(ASN1Encoding.DER)))
          .getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a PKCS#12 bag in memory failed", e);
    }
  }

  /**
   * The store of these {@link #entry} parts, in order: the same bytes {@link #encode} gives for the
   * certificates they were made of. The PFX is written by hand around the parts (DER is one
   * encoding for one value, so the bytes are those Bouncy Castle's builder would give;
   * TrustedPkcs12Test checks that).
   */
  public static byte[] assemble(List<byte[]> entries) {
    int safeLength = 0;
    for (byte[] entry : entries) {
      safeLength += entry.length;
    }
    // PFX ::= SEQUENCE { version INTEGER 3, authSafe ContentInfo, (no macData) }
    // ContentInfo ::= SEQUENCE { OID data, [0] EXPLICIT OCTET STRING (AuthenticatedSafe) }
    // AuthenticatedSafe ::= SEQUENCE OF ContentInfo (the entries)
    int octets = Der.encodedLength(safeLength);
    int explicit = Der.encodedLength(octets);
    int contentInfo = DATA_OID.length + Der.encodedLength(explicit);
    int pfx = VERSION_3.length + Der.encodedLength(contentInfo);
    Der out = new Der(Der.encodedLength(pfx));
    out.header(0x30, pfx).bytes(VERSION_3);
    out.header(0x30, contentInfo).bytes(DATA_OID);
    out.header(0xa0, explicit).header(0x04, octets).header(0x30, safeLength);
    for (byte[] entry : entries) {
      out.bytes(entry);
    }
    return out.done();
  }

  private static final byte[] VERSION_3 = {0x02, 0x01, 0x03};

  private static final byte[] DATA_OID = der(PKCSObjectIdentifiers.data);

  private static byte[] der(ASN1ObjectIdentifier oid) {
    try {
      return oid.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

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

  private static PKCS12SafeBag bag(String alias, X509Certificate certificate) throws IOException {
    JcaPKCS12SafeBagBuilder builder = new JcaPKCS12SafeBagBuilder(certificate);
    builder.addBagAttribute(PKCS12SafeBag.friendlyNameAttribute, new DERBMPString(alias));
    builder.addBagAttribute(JAVA_TRUSTED_KEY_USAGE, KeyPurposeId.anyExtendedKeyUsage);
    return builder.build();
  }
}
