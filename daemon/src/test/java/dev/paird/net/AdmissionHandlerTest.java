package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class AdmissionHandlerTest {
  private static final int MAX_CONNECTIONS = 2;
  private static final int PER_MINUTE = 3;

  private final AtomicLong now = new AtomicLong();
  private final AdmissionHandler admission =
      new AdmissionHandler(
          new Connections(MAX_CONNECTIONS, MAX_CONNECTIONS), new RateLimiter(PER_MINUTE, now::get));
  private final List<TcpChannel> channels = new ArrayList<>();

  @AfterEach
  void closeAll() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  @Test
  void channelActive_underBothLimits_passesTheConnectionOn() throws Exception {
    TcpChannel channel = connect("192.0.2.1");

    assertThat(channel.isOpen()).isTrue();
    assertThat(channel.next.activated).isTrue();
    assertThat(admission.open()).isEqualTo(1);
  }

  @Test
  void channelActive_oneOverMaxConnections_admittedAndTheOldestIsToldItWasEvicted()
      throws Exception {
    TcpChannel oldest = connect("192.0.2.1");
    TcpChannel younger = connect("192.0.2.2");

    TcpChannel newest = connect("192.0.2.3");
    runPendingTasks(oldest, younger, newest);

    assertThat(newest.isOpen()).isTrue();
    assertThat(newest.next.activated).isTrue();
    assertThat(oldest.next.events).containsExactly(AdmissionHandler.EVICTED);
    assertThat(younger.next.events).isEmpty();
    assertThat(admission.open()).isEqualTo(MAX_CONNECTIONS);
  }

  @Test
  void channelInactive_ofAnEvictedConnection_releasesNothingMore() throws Exception {
    TcpChannel oldest = connect("192.0.2.1");
    connect("192.0.2.2");
    connect("192.0.2.3");

    oldest.close();

    assertThat(admission.open()).isEqualTo(MAX_CONNECTIONS);
  }

  @Test
  void channelActive_oneOverThePerSourceCap_closedAtOnceAndNotPassedOn() throws Exception {
    AdmissionHandler capped =
        new AdmissionHandler(new Connections(100, 2), new RateLimiter(PER_MINUTE, now::get));
    connect(capped, "2001:db8::1");
    connect(capped, "2001:db8::2");

    TcpChannel refused = connect(capped, "2001:db8::3");

    assertThat(refused.isOpen()).as("same /64").isFalse();
    assertThat(refused.next.activated).isFalse();
    assertThat(capped.open()).isEqualTo(2);
    assertThat(connect(capped, "2001:db8:0:1::1").isOpen()).as("another /64").isTrue();
  }

  @Test
  void channelInactive_ofAnAdmittedConnection_makesRoomForItsSource() throws Exception {
    AdmissionHandler capped =
        new AdmissionHandler(new Connections(100, 1), new RateLimiter(PER_MINUTE, now::get));
    TcpChannel first = connect(capped, "192.0.2.1");
    assertThat(connect(capped, "192.0.2.1").isOpen()).isFalse();

    first.close();

    assertThat(connect(capped, "192.0.2.1").isOpen()).isTrue();
  }

  @Test
  void channelActive_sourceOverItsRate_closedAndItsCountReleased() throws Exception {
    AdmissionHandler roomy =
        new AdmissionHandler(new Connections(100, 100), new RateLimiter(PER_MINUTE, now::get));
    for (int i = 0; i < PER_MINUTE; i++) {
      assertThat(connect(roomy, "192.0.2.1").isOpen()).isTrue();
    }

    TcpChannel refused = connect(roomy, "192.0.2.1");

    assertThat(refused.isOpen()).isFalse();
    assertThat(refused.next.activated).isFalse();
    assertThat(roomy.open()).isEqualTo(PER_MINUTE);
    assertThat(connect(roomy, "192.0.2.2").isOpen()).as("another source").isTrue();
  }

  @Test
  void channelActive_sourceOverItsRate_admittedAgainOnceTimePasses() throws Exception {
    AdmissionHandler roomy =
        new AdmissionHandler(new Connections(100, 100), new RateLimiter(PER_MINUTE, now::get));
    for (int i = 0; i < PER_MINUTE; i++) {
      connect(roomy, "2001:db8::1");
    }
    assertThat(connect(roomy, "2001:db8::2").isOpen()).as("same /64").isFalse();

    now.addAndGet(TimeUnit.SECONDS.toNanos(60 / PER_MINUTE));

    assertThat(connect(roomy, "2001:db8::1").isOpen()).isTrue();
  }

  private TcpChannel connect(String address) throws Exception {
    return connect(admission, address);
  }

  private TcpChannel connect(AdmissionHandler handler, String address) throws Exception {
    TcpChannel channel = new TcpChannel(InetAddress.getByName(address), handler);
    channels.add(channel);
    return channel;
  }

  private static void runPendingTasks(EmbeddedChannel... channels) {
    for (EmbeddedChannel channel : channels) {
      channel.runPendingTasks();
    }
  }

  /** Records whether the connection was passed on, and the events that reached it. */
  private static final class NextHandler extends ChannelInboundHandlerAdapter {
    boolean activated;
    final List<Object> events = new ArrayList<>();

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      activated = true;
      super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      events.add(event);
    }
  }

  /** An EmbeddedChannel whose peer has an IP address and port, as an accepted TCP channel's. */
  private static final class TcpChannel extends EmbeddedChannel {
    final NextHandler next;
    private final InetSocketAddress remote;

    TcpChannel(InetAddress peer, ChannelHandler admission) throws Exception {
      super(false, false); // registered below, once the peer's address is set
      this.remote = new InetSocketAddress(peer, 40000);
      this.next = new NextHandler();
      pipeline().addLast(admission, next);
      register();
    }

    @Override
    protected SocketAddress remoteAddress0() {
      return remote;
    }
  }
}
