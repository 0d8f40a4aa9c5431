package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.testing.Processes;
import dev.paird.trust.TestCertificates;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Object;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERNumericString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERT61String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERUniversalString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The subject hash agrees with {@code openssl x509 -hash} for every kind of name. */
final class SubjectHashTest {
  @TempDir Path dir;

  @Test
  void simpleCanonicalEncoding_ofDevicesNames_isBouncyCastlesWithout() throws Exception {
    String[] values = {
      "kitchen-pi",
      "  Kitchen \t  PI\nName  ",
      "Küche  Ω Straße",
      "",
      " ",
      "x".repeat(127),
      "y".repeat(128),
      "Z".repeat(300),
      "a b\u000bc\fd\re",
      "日本 語"
    };
    for (String value : values) {
      for (X500Name name :
          new X500Name[] {
            name(BCStyle.CN, new DERUTF8String(value)),
            new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.C, new DERPrintableString("DE"))
                .addRDN(BCStyle.O, new DERPrintableString(value.replaceAll("[^ -~]", "?")))
                .addRDN(BCStyle.DC, new DERIA5String(value.replaceAll("[^ -~]", "?")))
                .addRDN(BCStyle.CN, new DERUTF8String(value))
                .build()
          }) {
        byte[] der = name.getEncoded();

        byte[] simple = SubjectHash.simpleCanonicalEncoding(der);

        assertThat(simple).as("%s", name).isNotNull();
        assertThat(simple).as("%s", name).isEqualTo(SubjectHash.canonicalEncoding(der).get());
      }
    }
    assertThat(SubjectHash.simpleCanonicalEncoding(new X500Name(new RDN[0]).getEncoded()))
        .isEmpty();
  }

  @Test
  void simpleCanonicalEncoding_otherNames_areLeftToBouncyCastle() throws Exception {
    X500Name[] others = {
      name(BCStyle.CN, new DERBMPString("Grüße")),
      name(BCStyle.CN, new DERT61String(new byte[] {'A', (byte) 0xe9, 'B'})),
      name(BCStyle.SERIALNUMBER, new DERNumericString("0042")),
      new X500NameBuilder(BCStyle.INSTANCE)
          .addMultiValuedRDN(
              new AttributeTypeAndValue[] {
                new AttributeTypeAndValue(BCStyle.OU, new DERUTF8String("Zeta")),
                new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("Alpha")),
              })
          .build()
    };
    for (X500Name name : others) {
      assertThat(SubjectHash.simpleCanonicalEncoding(name.getEncoded())).as("%s", name).isNull();
    }
    byte[] invalidUtf8 = name(BCStyle.CN, new DERUTF8String("ab")).getEncoded();
    invalidUtf8[invalidUtf8.length - 1] = (byte) 0xff;
    assertThat(SubjectHash.simpleCanonicalEncoding(invalidUtf8)).isNull();
    assertThat(SubjectHash.of(invalidUtf8)).isEmpty();
  }

  @Test
  void of_variedSubjects_matchesOpensslHash() throws Exception {
    Map<String, X500Name> names = new LinkedHashMap<>();
    names.put("utf8 common name", name(BCStyle.CN, new DERUTF8String("kitchen-pi")));
    names.put(
        "case and white space", name(BCStyle.CN, new DERUTF8String("  Kitchen \t  PI\nName  ")));
    names.put(
        "printable, several RDNs",
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.C, new DERPrintableString("DE"))
            .addRDN(BCStyle.O, new DERPrintableString("Example  Org"))
            .addRDN(BCStyle.CN, new DERPrintableString("Host 1"))
            .build());
    names.put(
        "multi-valued RDN",
        new X500NameBuilder(BCStyle.INSTANCE)
            .addMultiValuedRDN(
                new AttributeTypeAndValue[] {
                  new AttributeTypeAndValue(BCStyle.OU, new DERUTF8String("Zeta")),
                  new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("Alpha")),
                })
            .build());
    names.put(
        "ia5 domain components",
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.DC, new DERIA5String("Example"))
            .addRDN(BCStyle.DC, new DERIA5String("ORG"))
            .addRDN(BCStyle.E, new DERIA5String("Admin@Example.org"))
            .build());
    names.put("bmp non-ascii", name(BCStyle.CN, new DERBMPString("Grüße ÄÖÜ 日本")));
    names.put("utf8 non-ascii", name(BCStyle.CN, new DERUTF8String("Küche  Ω Straße")));
    names.put("universal string", name(BCStyle.CN, new DERUniversalString(utf32("Ünï Code"))));
    names.put(
        "t61 latin-1", name(BCStyle.CN, new DERT61String(new byte[] {'A', (byte) 0xe9, 'B'})));
    names.put(
        "numeric string kept as is", name(BCStyle.SERIALNUMBER, new DERNumericString("0042")));
    // Malformed under RFC 5280, but a certificate can carry it: OpenSSL's canonical form has no
    // trace of an RDN without attributes.
    names.put(
        "an empty RDN",
        new X500Name(
            new RDN[] {
              new RDN(BCStyle.CN, new DERUTF8String("dev-emptyrdn")),
              RDN.getInstance(new org.bouncycastle.asn1.DERSet())
            }));

    Map<String, String> ours = new LinkedHashMap<>();
    Map<String, String> openssls = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, X500Name> entry : names.entrySet()) {
      X509Certificate certificate = TestCertificates.selfSigned(entry.getValue());
      Path pem = dir.resolve("cert-" + i++ + ".pem");
      Files.writeString(pem, Certificates.toPem(certificate), StandardCharsets.US_ASCII);
      Processes.Result openssl =
          Processes.run("openssl", "x509", "-noout", "-hash", "-in", pem.toString());
      assertThat(openssl.exitStatus()).as(entry.getKey() + ": " + openssl.output()).isZero();
      openssls.put(entry.getKey(), openssl.output().strip());
      ours.put(entry.getKey(), SubjectHash.of(certificate).orElse("none"));
    }
    assertThat(ours).isEqualTo(openssls);
  }

  @Test
  void of_subjectsEqualUpToCaseAndSpace_hashEqually() {
    String a = SubjectHash.of(TestCertificates.selfSigned("Kitchen  PI")).orElseThrow();
    String b = SubjectHash.of(TestCertificates.selfSigned(" kitchen pi ")).orElseThrow();
    String c = SubjectHash.of(TestCertificates.selfSigned("kitchen-pi")).orElseThrow();
    assertThat(a).isEqualTo(b).isNotEqualTo(c).matches("[0-9a-f]{8}");
  }

  @Test
  void of_emptyName_isTheHashOfAnEmptyEncoding() throws Exception {
    // SHA-1 of no bytes starts da 39 a3 ee; OpenSSL reads those four little-endian.
    assertThat(SubjectHash.of(new X500Name(new RDN[0]).getEncoded())).contains("eea339da");
  }

  @Test
  void of_invalidUtf8_isEmpty() {
    X509Certificate certificate =
        TestCertificates.selfSigned(
            name(BCStyle.CN, new BrokenUtf8(new byte[] {'a', (byte) 0xc3})));
    assertThat(SubjectHash.of(certificate)).isEmpty();
  }

  @Test
  void canonicalText_trimsCollapsesAndLowersAsciiOnly() {
    assertThat(SubjectHash.canonicalText(" \tA  B\r\nÄ x ")).isEqualTo("a b Ä x");
    assertThat(SubjectHash.canonicalText("   ")).isEmpty();
  }

  private static X500Name name(ASN1ObjectIdentifier type, ASN1Encodable value) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(type, value).build();
  }

  private static byte[] utf32(String text) {
    return text.getBytes(Charset.forName("UTF-32BE"));
  }

  /** A UTF8String whose bytes are not UTF-8, as a hostile peer may send. */
  private static final class BrokenUtf8 extends ASN1Object {
    private final byte[] bytes;

    BrokenUtf8(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public ASN1Primitive toASN1Primitive() {
      try {
        byte[] der = new byte[bytes.length + 2];
        der[0] = 12;
        der[1] = (byte) bytes.length;
        System.arraycopy(bytes, 0, der, 2, bytes.length);
        return ASN1Primitive.fromByteArray(der);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }
}
