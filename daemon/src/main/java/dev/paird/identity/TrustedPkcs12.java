package dev.paird.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCSException;
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
    try {
      PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
      for (Map.Entry<String, X509Certificate> entry : byAlias.entrySet()) {
        pfx.addData(bag(entry.getKey(), entry.getValue()));
      }
      // No MAC builder, no password: see the class comment.
      return pfx.build(null, null).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a PKCS#12 store in memory failed", e);
    } catch (PKCSException e) {
      throw new IllegalStateException("building a PKCS#12 store without a MAC failed", e);
    }
  }

  private static PKCS12SafeBag bag(String alias, X509Certificate certificate) throws IOException {
    JcaPKCS12SafeBagBuilder builder = new JcaPKCS12SafeBagBuilder(certificate);
    builder.addBagAttribute(PKCS12SafeBag.friendlyNameAttribute, new DERBMPString(alias));
    builder.addBagAttribute(JAVA_TRUSTED_KEY_USAGE, KeyPurposeId.anyExtendedKeyUsage);
    return builder.build();
  }
}
