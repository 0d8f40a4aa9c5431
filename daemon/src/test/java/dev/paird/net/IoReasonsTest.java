package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.testing.ClosedPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

final class IoReasonsTest {

  @Test
  void of_nativeCallPrefix_isDropped() {
    assertThat(IoReasons.of(new ConnectException("finishConnect(..) failed: Connection refused")))
        .contains("Connection refused");
  }

  @Test
  void of_nativeCallWithErrnoAndRemoteAddress_keepsOnlyTheReason() {
    assertThat(
            IoReasons.of(
                new ConnectException(
                    "finishConnect(..) failed with error(-111): Connection refused:"
                        + " host.example/192.0.2.1:7247")))
        .contains("Connection refused");
  }

  /** What this Netty says when an epoll connect is refused, whatever its words are. */
  @Test
  void of_aRealRefusedConnect_namesNoNativeCallErrnoOrAddress() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (ClosedPort closed = ClosedPort.open()) {
      Throwable cause =
          new Bootstrap()
              .group(group)
              .channel(EpollSocketChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.port()))
              .await()
              .cause();

      assertThat(cause).isInstanceOf(ConnectException.class);
      assertThat(IoReasons.of(cause))
          .hasValueSatisfying(
              reason ->
                  assertThat(reason)
                      .isNotBlank()
                      .doesNotContain(
                          "(..)", "error(", "127.0.0.1", Integer.toString(closed.port())));
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await();
    }
  }

  @Test
  void of_plainIoException_keepsItsText() {
    assertThat(IoReasons.of(new IOException("Broken pipe"))).contains("Broken pipe");
  }

  @Test
  void of_programmingError_givesNothing() {
    assertThat(IoReasons.of(new NullPointerException("Cannot load from object array"))).isEmpty();
    assertThat(IoReasons.of(new IOException())).isEmpty();
  }
}
