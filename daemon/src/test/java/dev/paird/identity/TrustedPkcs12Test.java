package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.trust.TestCertificates;
import java.io.ByteArrayInputStream;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.junit.jupiter.api.Test;

final class TrustedPkcs12Test {
  @Test
  void encode_ofNoCertificates_isTheBuildersStore() throws Exception {
    assertThat(TrustedPkcs12.encode(Map.of())).isEqualTo(withBuilder(Map.of()));
  }

  @Test
  void encode_ofOneCertificate_isTheBuildersStore() throws Exception {
    Map<String, X509Certificate> one = byAlias(1);
    assertThat(TrustedPkcs12.encode(one)).isEqualTo(withBuilder(one));
  }

  @Test
  void encode_pastEveryLengthEncoding_isTheBuildersStore() throws Exception {
    // 150 entries of about 520 bytes: the outer lengths need three bytes (over 65,535).
    Map<String, X509Certificate> many = byAlias(150);
    byte[] encoded = TrustedPkcs12.encode(many);
    assertThat(encoded.length).isGreaterThan(65_535);
    assertThat(encoded).isEqualTo(withBuilder(many));
  }

  @Test
  void encode_shortAndLongAliases_isTheBuildersStore() throws Exception {
    // DER orders a bag's two attributes by their encodings: a short alias puts the friendly name
    // first, a long one (a length of two bytes) the trusted-usage attribute; and BMP is UTF-16.
    Map<String, X509Certificate> aliases = new LinkedHashMap<>();
    aliases.put("a", TestCertificates.selfSigned("short"));
    aliases.put("k\u00fcche \u2603 ".repeat(20), TestCertificates.selfSigned("long"));
    assertThat(TrustedPkcs12.encode(aliases)).isEqualTo(withBuilder(aliases));
  }

  @Test
  void encode_isLoadedByJavaWithEveryCertificateTrusted() throws Exception {
    Map<String, X509Certificate> three = byAlias(3);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(TrustedPkcs12.encode(three)), null);
    assertThat(Collections.list(store.aliases()))
        .containsExactlyInAnyOrderElementsOf(three.keySet());
    for (Map.Entry<String, X509Certificate> entry : three.entrySet()) {
      assertThat(store.isCertificateEntry(entry.getKey())).isTrue();
      assertThat(store.getCertificate(entry.getKey())).isEqualTo(entry.getValue());
    }
  }

  private static Map<String, X509Certificate> byAlias(int count) {
    Map<String, X509Certificate> byAlias = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      X509Certificate certificate = TestCertificates.selfSigned("p12-" + i);
      byAlias.put(Certificates.fingerprint(certificate), certificate);
    }
    return byAlias;
  }

  /** The store as Bouncy Castle's builder makes it, which paird used before assembling by hand. */
  private static byte[] withBuilder(Map<String, X509Certificate> byAlias) throws Exception {
    PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
    for (Map.Entry<String, X509Certificate> entry : byAlias.entrySet()) {
      JcaPKCS12SafeBagBuilder bag = new JcaPKCS12SafeBagBuilder(entry.getValue());
      bag.addBagAttribute(PKCS12SafeBag.friendlyNameAttribute, new DERBMPString(entry.getKey()));
      bag.addBagAttribute(
          new ASN1ObjectIdentifier(TrustedPkcs12.JAVA_TRUSTED_KEY_USAGE),
          KeyPurposeId.anyExtendedKeyUsage);
      pfx.addData(bag.build());
    }
    return pfx.build(null, null).getEncoded(ASN1Encoding.DER);
  }
}
