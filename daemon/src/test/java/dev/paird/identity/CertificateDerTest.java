package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.trust.TestCertificates;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.Test;

final class CertificateDerTest {
  private static final X509Certificate PLAIN = TestCertificates.selfSigned("kitchen-pi");

  /** Several RDNs, string types and characters, as peers may choose them. */
  private static final X509Certificate ODD_NAME =
      TestCertificates.selfSigned(
          new X500NameBuilder(BCStyle.INSTANCE)
              .addRDN(BCStyle.C, new DERPrintableString("DE"))
              .addMultiValuedRDN(
                  new AttributeTypeAndValue[] {
                    new AttributeTypeAndValue(BCStyle.O, new DERUTF8String("Büro, \"Süd\"")),
                    new AttributeTypeAndValue(BCStyle.OU, new DERUTF8String("  two  spaces "))
                  })
              .addRDN(BCStyle.CN, new DERUTF8String("line\nbreak"))
              .build());

  @Test
  void subjectName_isTheSubjectTheJdkReads() throws Exception {
    for (X509Certificate certificate : List.of(PLAIN, ODD_NAME)) {
      byte[] name = CertificateDer.subjectName(certificate.getEncoded());

      assertThat(name).isEqualTo(certificate.getSubjectX500Principal().getEncoded());
      assertThat(Certificates.subjectOfName(name)).isEqualTo(Certificates.subject(certificate));
      assertThat(SubjectHash.of(name)).isEqualTo(SubjectHash.of(certificate));
    }
  }

  @Test
  void subjectPublicKeyInfo_isTheKeyTheJdkReads() throws Exception {
    byte[] spki = CertificateDer.subjectPublicKeyInfo(PLAIN.getEncoded());

    assertThat(spki).isEqualTo(PLAIN.getPublicKey().getEncoded());
    assertThat(Certificates.spkiPin(PLAIN.getEncoded())).isEqualTo(Certificates.spkiPin(PLAIN));
  }

  @Test
  void subjectName_trailingByte_fails() throws Exception {
    byte[] der = PLAIN.getEncoded();
    byte[] longer = Arrays.copyOf(der, der.length + 1);

    assertThatThrownBy(() -> CertificateDer.subjectName(longer))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("one SEQUENCE filling the bytes");
  }

  @Test
  void subjectName_truncated_fails() throws Exception {
    byte[] der = PLAIN.getEncoded();
    for (int length : new int[] {0, 1, 2, 10, der.length / 2, der.length - 1}) {
      byte[] shorter = Arrays.copyOf(der, length);

      assertThatThrownBy(() -> CertificateDer.subjectName(shorter))
          .as("cut to %d bytes", length)
          .isInstanceOf(CertificateException.class);
    }
  }

  @Test
  void subjectName_privateKeyNotACertificate_fails() throws Exception {
    byte[] key = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate().getEncoded();

    assertThatThrownBy(() -> CertificateDer.subjectName(key))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("the certificate's");
  }

  @Test
  void subjectName_wrongTagInTbsCertificate_namesThePart() throws Exception {
    byte[] der = PLAIN.getEncoded();
    int serial = indexOfSerial(der);
    der[serial] = 0x04;

    assertThatThrownBy(() -> CertificateDer.subjectName(der))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("serialNumber");
  }

  @Test
  void subjectName_lengthNotInShortestForm_fails() throws Exception {
    byte[] der = PLAIN.getEncoded();
    assertThat(der[1]).isEqualTo((byte) 0x82);
    // The outer length in three bytes, the first zero: the same value, but not DER.
    byte[] longForm = new byte[der.length + 1];
    longForm[0] = 0x30;
    longForm[1] = (byte) 0x83;
    System.arraycopy(der, 2, longForm, 3, der.length - 2);

    assertThatThrownBy(() -> CertificateDer.subjectName(longForm))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("shortest form");
  }

  @Test
  void subjectName_ofTheWholeCertificate_isOnlyTheSubject() throws Exception {
    byte[] name = CertificateDer.subjectName(ODD_NAME.getEncoded());

    assertThat(Certificates.subjectOfName(name)).startsWith("CN=line\nbreak,O=").endsWith(",C=DE");
    assertThatThrownBy(() -> Certificates.subjectOfName(new byte[] {0x04, 0x00}))
        .isInstanceOf(CertificateException.class);
  }

  /** Where the serial number's tag is: after the certificate's, the tbs's and the version's. */
  private static int indexOfSerial(byte[] der) {
    int at = headerLength(der, 0);
    at += headerLength(der, at);
    if ((der[at] & 0xff) == 0xa0) {
      at += headerLength(der, at) + (der[at + 1] & 0xff);
    }
    assertThat(der[at]).isEqualTo((byte) 0x02);
    return at;
  }

  private static int headerLength(byte[] der, int at) {
    int first = der[at + 1] & 0xff;
    return first < 0x80 ? 2 : 2 + (first & 0x7f);
  }
}
