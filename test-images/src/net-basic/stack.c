/*
 * The network stack: Ethernet, ARP, IPv4, ICMP echo, UDP (DHCP client, echo
 * server on port 7) and a TCP server on port 80 answering every GET with one
 * fixed HTTP/1.0 response, then closing. The link (ukemu's user network) does
 * not lose frames, so nothing is retransmitted; a duplicate segment is
 * answered with an ACK.
 */
#include "net.h"

#define ETH_ARP		0x0806
#define ETH_IP		0x0800
#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17

uint32_t my_ip, gw_ip, dhcp_server;
uint8_t gw_mac[6];
int gw_mac_known, dhcp_bound, ping_ok, quit_requested;
unsigned http_served, http_conns, tcp_dups, tcp_resets, udp_echoed, tcp_syn_dropped;

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint16_t ip_id;

/* ---- checksums ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, unsigned len)
{
	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, unsigned len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* ---- Ethernet and IPv4 output ---- */

static uint8_t *eth_header(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, type);
	return f + 14;
}

/* IPv4 header at f + 14 for l4len bytes of payload; returns the payload. */
static uint8_t *ip_header(uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint32_t dst, uint8_t proto,
			  unsigned l4len)
{
	uint8_t *ip = eth_header(f, dst_mac, ETH_IP);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, ip_id++);
	put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	return ip + 20;
}

/* ---- ARP ---- */

static void arp_send(uint16_t op, const uint8_t *dst_mac, const uint8_t *tha, uint32_t tpa)
{
	uint8_t *f = tx_begin();
	uint8_t *a = eth_header(f, dst_mac, ETH_ARP);
	put16(a, 1);
	put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, my_mac, 6);
	put32(a + 14, my_ip);
	memcpy(a + 18, tha, 6);
	put32(a + 24, tpa);
	memset(a + 28, 0, 18);	/* pad to the 60-byte minimum */
	tx_commit(14 + 28 + 18);
}

void arp_request(uint32_t ip)
{
	static const uint8_t zero[6];
	arp_send(1, broadcast, zero, ip);
}

static void arp_input(const uint8_t *a, unsigned len)
{
	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_IP || a[4] != 6 || a[5] != 4)
		return;
	uint16_t op = get16(a + 6);
	uint32_t spa = get32(a + 14), tpa = get32(a + 24);
	if (spa == gw_ip && gw_ip) {
		memcpy(gw_mac, a + 8, 6);
		gw_mac_known = 1;
	}
	if (op == 1 && my_ip && tpa == my_ip)
		arp_send(2, a + 8, a + 8, spa);
}

/* ---- ICMP ---- */

#define PING_ID		0x4e42
#define PING_DATA	56

static void ping_fill(uint8_t *d, uint16_t seq)
{
	for (unsigned i = 0; i < PING_DATA; i++)
		d[i] = (uint8_t)(i * 3 + seq);
}

void ping_send(uint32_t ip, uint16_t seq)
{
	uint8_t *f = tx_begin();
	uint8_t *icmp = ip_header(f, gw_mac, my_ip, ip, PROTO_ICMP, 8 + PING_DATA);
	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, PING_ID);
	put16(icmp + 6, seq);
	ping_fill(icmp + 8, seq);
	put16(icmp + 2, csum_fold(csum_add(0, icmp, 8 + PING_DATA)));
	tx_commit(14 + 20 + 8 + PING_DATA);
}

static void icmp_input(const uint8_t *eth_src, uint32_t src, uint8_t *icmp, unsigned len)
{
	if (len < 8 || csum_fold(csum_add(0, icmp, len)) != 0)
		return;
	if (icmp[0] == 0 && get16(icmp + 4) == PING_ID && len == 8 + PING_DATA) {
		uint8_t want[PING_DATA];
		ping_fill(want, get16(icmp + 6));
		if (memcmp(want, icmp + 8, PING_DATA) == 0 && src == gw_ip)
			ping_ok = 1;
	} else if (icmp[0] == 8 && len <= ETH_MAX - 34) {
		uint8_t *f = tx_begin();
		uint8_t *r = ip_header(f, eth_src, my_ip, src, PROTO_ICMP, len);
		memcpy(r, icmp, len);
		r[0] = 0;
		put16(r + 2, 0);
		put16(r + 2, csum_fold(csum_add(0, r, len)));
		tx_commit(14 + 20 + len);
	}
}

/* ---- UDP and DHCP ---- */

static void udp_send(const uint8_t *dst_mac, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     const uint8_t *data, unsigned len)
{
	uint8_t *f = tx_begin();
	uint8_t *u = ip_header(f, dst_mac, src, dst, PROTO_UDP, 8 + len);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, data, len);
	uint16_t c = csum_fold(csum_add(pseudo_sum(src, dst, PROTO_UDP, 8 + len), u, 8 + len));
	put16(u + 6, c ? c : 0xffff);
	tx_commit(14 + 20 + 8 + len);
}

#define DHCP_DISCOVER	1
#define DHCP_OFFER	2
#define DHCP_REQUEST	3
#define DHCP_ACK	5
#define DHCP_NAK	6
#define DHCP_XID	0x6e657462u	/* "netb" */

static int dhcp_state;	/* 0 selecting, 1 requesting, 2 bound */
static uint32_t offered_ip;

static void dhcp_send(uint8_t type)
{
	uint8_t m[300];
	memset(m, 0, sizeof(m));
	m[0] = 1;		/* BOOTREQUEST */
	m[1] = 1;		/* Ethernet */
	m[2] = 6;
	put32(m + 4, DHCP_XID);
	put16(m + 10, 0x8000);	/* broadcast replies: we have no address yet */
	memcpy(m + 28, my_mac, 6);
	put32(m + 236, 0x63825363);
	uint8_t *o = m + 240;
	*o++ = 53; *o++ = 1; *o++ = type;
	if (type == DHCP_REQUEST) {
		*o++ = 50; *o++ = 4; put32(o, offered_ip); o += 4;
		*o++ = 54; *o++ = 4; put32(o, dhcp_server); o += 4;
	}
	*o++ = 55; *o++ = 3; *o++ = 1; *o++ = 3; *o++ = 6;
	*o++ = 255;
	udp_send(broadcast, 0, 0xffffffffu, 68, 67, m, sizeof(m));
}

void dhcp_send_discover(void)
{
	dhcp_state = 0;
	dhcp_send(DHCP_DISCOVER);
}

void dhcp_restart(void)
{
	dhcp_send_discover();
}

static void dhcp_input(const uint8_t *m, unsigned len)
{
	if (len < 240 || m[0] != 2 || get32(m + 4) != DHCP_XID || memcmp(m + 28, my_mac, 6) ||
	    get32(m + 236) != 0x63825363)
		return;
	uint8_t type = 0;
	uint32_t server = 0, router = 0;
	for (unsigned i = 240; i < len && m[i] != 255;) {
		uint8_t code = m[i];
		if (code == 0) {
			i++;
			continue;
		}
		if (i + 1 >= len || i + 2 + m[i + 1] > len)
			break;
		uint8_t olen = m[i + 1];
		const uint8_t *v = m + i + 2;
		if (code == 53 && olen == 1)
			type = v[0];
		else if (code == 54 && olen == 4)
			server = get32(v);
		else if (code == 3 && olen >= 4)
			router = get32(v);
		i += 2 + olen;
	}
	uint32_t yiaddr = get32(m + 16);
	if (type == DHCP_OFFER && dhcp_state == 0) {
		offered_ip = yiaddr;
		dhcp_server = server;
		kprintf("dhcp: offer of %u.%u.%u.%u from %u.%u.%u.%u\n", yiaddr >> 24, (yiaddr >> 16) & 255,
			(yiaddr >> 8) & 255, yiaddr & 255, server >> 24, (server >> 16) & 255, (server >> 8) & 255,
			server & 255);
		dhcp_state = 1;
		dhcp_send(DHCP_REQUEST);
	} else if (type == DHCP_ACK && dhcp_state == 1 && yiaddr == offered_ip) {
		my_ip = yiaddr;
		gw_ip = router ? router : server;
		dhcp_state = 2;
		dhcp_bound = 1;
	} else if (type == DHCP_NAK && dhcp_state == 1) {
		kprintf("dhcp: NAK, starting again\n");
		dhcp_send_discover();
	}
}

static void udp_input(const uint8_t *eth_src, uint32_t src, uint32_t dst, uint8_t *u, unsigned len)
{
	if (len < 8 || get16(u + 4) > len || get16(u + 4) < 8)
		return;
	len = get16(u + 4);
	if (get16(u + 6) && csum_fold(csum_add(pseudo_sum(src, dst, PROTO_UDP, len), u, len)) != 0)
		return;
	uint16_t sport = get16(u), dport = get16(u + 2);
	if (dport == 68 && sport == 67) {
		dhcp_input(u + 8, len - 8);
		return;
	}
	if (!my_ip || dst != my_ip)
		return;
	if (dport == ECHO_PORT) {
		unsigned n = len - 8;
		if (n >= 4 && memcmp(u + 8, "quit", 4) == 0 && (n == 4 || (n == 5 && u[12] == '\n')))
			quit_requested = 1;
		if (n <= ETH_MAX - 42) {
			udp_send(eth_src, my_ip, src, ECHO_PORT, sport, u + 8, n);
			udp_echoed++;
		}
	}
}

/* ---- TCP ---- */

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10

#define NCONN		64
#define MY_MSS		1460
#define MY_WINDOW	16384
#define REQ_MAX		512

enum { T_FREE, T_SYN_RCVD, T_OPEN };

struct tcb {
	int state;
	uint8_t mac[6];
	uint32_t ip;
	uint16_t port;
	uint32_t iss, snd_una, snd_nxt, snd_wnd, rcv_nxt;
	unsigned mss;
	int fin_rcvd, fin_sent, responding;
	unsigned req_len;
	char req[REQ_MAX];
};

static struct tcb conns[NCONN];
static uint32_t iss_next = 0x10000;

static const char http_header[] =
	"HTTP/1.0 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 20000\r\n"
	"Connection: close\r\n"
	"\r\n";
#define HEADER_LEN	(sizeof(http_header) - 1)
#define RESPONSE_LEN	(HEADER_LEN + BODY_LEN)

static const char http_bad[] = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static uint8_t response[RESPONSE_LEN];

/*
 * The body, a formula the host test computes too: 64-byte lines, the last
 * byte of each a newline, the rest drawn from 62 letters and digits.
 */
void http_init(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	memcpy(response, http_header, HEADER_LEN);
	for (unsigned i = 0; i < BODY_LEN; i++)
		response[HEADER_LEN + i] = i % 64 == 63 ? '\n' : (uint8_t)alphabet[(i * 7 + i / 64) % 62];
}

static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

unsigned tcp_active(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NCONN; i++)
		n += conns[i].state != T_FREE;
	return n;
}

static void tcp_raw(const uint8_t *mac, uint32_t ip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		    uint8_t flags, uint16_t wnd, const uint8_t *data, unsigned len, int mss_option)
{
	unsigned hlen = mss_option ? 24 : 20;
	uint8_t *f = tx_begin();
	uint8_t *t = ip_header(f, mac, my_ip, ip, PROTO_TCP, hlen + len);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(hlen / 4 << 4);
	t[13] = flags;
	put16(t + 14, wnd);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (mss_option) {
		t[20] = 2;
		t[21] = 4;
		put16(t + 22, MY_MSS);
	}
	memcpy(t + hlen, data, len);
	put16(t + 16, csum_fold(csum_add(pseudo_sum(my_ip, ip, PROTO_TCP, hlen + len), t, hlen + len)));
	tx_commit(14 + 20 + hlen + len);
}

static void tcp_send(struct tcb *c, uint8_t flags, uint32_t seq, const uint8_t *data, unsigned len)
{
	tcp_raw(c->mac, c->ip, HTTP_PORT, c->port, seq, c->rcv_nxt, flags, MY_WINDOW, data, len, flags & TH_SYN);
}

static const uint8_t *resp_data(struct tcb *c)
{
	return c->responding == 1 ? response : (const uint8_t *)http_bad;
}

static unsigned resp_len(struct tcb *c)
{
	if (!c->responding)
		return 0;
	return c->responding == 1 ? RESPONSE_LEN : sizeof(http_bad) - 1;
}

/* Sends what the peer's window allows, then our FIN; returns the segments sent. */
static int tcp_output(struct tcb *c)
{
	int sent = 0;
	uint32_t base = c->iss + 1;

	if (!c->responding || c->state != T_OPEN)
		return 0;
	for (;;) {
		uint32_t off = c->snd_nxt - base, total = resp_len(c);
		if (off < total) {
			uint32_t inflight = c->snd_nxt - c->snd_una;
			if (inflight >= c->snd_wnd)
				break;
			uint32_t len = total - off;
			if (len > c->mss)
				len = c->mss;
			if (len > c->snd_wnd - inflight)
				len = c->snd_wnd - inflight;
			tcp_send(c, TH_ACK | (off + len == total ? TH_PSH : 0), c->snd_nxt, resp_data(c) + off, len);
			c->snd_nxt += len;
			sent++;
		} else if (off == total && !c->fin_sent) {
			tcp_send(c, TH_ACK | TH_FIN, c->snd_nxt, 0, 0);
			c->snd_nxt++;
			c->fin_sent = 1;
			sent++;
		} else {
			break;
		}
	}
	return sent;
}

static void request_bytes(struct tcb *c, const uint8_t *d, unsigned n)
{
	for (unsigned i = 0; i < n && c->req_len < REQ_MAX - 1; i++)
		c->req[c->req_len++] = (char)d[i];
	c->req[c->req_len] = 0;
	if (c->responding)
		return;
	for (unsigned i = 0; i + 3 < c->req_len; i++) {
		if (memcmp(c->req + i, "\r\n\r\n", 4) == 0) {
			c->responding = memcmp(c->req, "GET ", 4) == 0 ? 1 : 2;
			return;
		}
	}
	if (c->req_len >= REQ_MAX - 1)
		c->responding = 2;
}

static unsigned parse_mss(const uint8_t *t, unsigned hlen)
{
	for (unsigned i = 20; i < hlen;) {
		if (t[i] == 0)
			break;
		if (t[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || t[i + 1] < 2)
			break;
		if (t[i] == 2 && t[i + 1] == 4 && i + 4 <= hlen)
			return get16(t + i + 2);
		i += t[i + 1];
	}
	return 536;
}

static void tcp_input(const uint8_t *eth_src, uint32_t src, uint32_t dst, uint8_t *t, unsigned len)
{
	if (len < 20 || csum_fold(csum_add(pseudo_sum(src, dst, PROTO_TCP, len), t, len)) != 0)
		return;
	unsigned hlen = (t[12] >> 4) * 4u;
	if (hlen < 20 || hlen > len)
		return;
	uint16_t sport = get16(t), dport = get16(t + 2);
	uint32_t seq = get32(t + 4), ack = get32(t + 8);
	uint8_t flags = t[13];
	uint16_t wnd = get16(t + 14);
	const uint8_t *data = t + hlen;
	unsigned dlen = len - hlen;
	struct tcb *c = 0, *free_slot = 0;

	for (unsigned i = 0; i < NCONN; i++) {
		if (conns[i].state == T_FREE) {
			if (!free_slot)
				free_slot = &conns[i];
		} else if (conns[i].ip == src && conns[i].port == sport) {
			c = &conns[i];
			break;
		}
	}
	if (!c) {
		if (flags & TH_RST)
			return;
		uint32_t seglen = dlen + !!(flags & TH_SYN) + !!(flags & TH_FIN);
		if (dport != HTTP_PORT) {
			/* nobody listens: RFC 793 reset */
			if (flags & TH_ACK)
				tcp_raw(eth_src, src, dport, sport, ack, 0, TH_RST, 0, 0, 0, 0);
			else
				tcp_raw(eth_src, src, dport, sport, 0, seq + seglen, TH_RST | TH_ACK, 0, 0, 0, 0);
			return;
		}
		if ((flags & (TH_SYN | TH_ACK)) == TH_SYN) {
			if (!free_slot) {
				tcp_syn_dropped++;	/* the peer sends its SYN again */
				return;
			}
			c = free_slot;
			memset(c, 0, sizeof(*c));
			c->state = T_SYN_RCVD;
			memcpy(c->mac, eth_src, 6);
			c->ip = src;
			c->port = sport;
			c->iss = iss_next;
			iss_next += 0x01000193u + (uint32_t)rdtsc();
			c->snd_una = c->iss;
			c->snd_nxt = c->iss + 1;
			c->rcv_nxt = seq + 1;
			c->mss = parse_mss(t, hlen);
			if (c->mss > MY_MSS)
				c->mss = MY_MSS;
			if (c->mss < 64)
				c->mss = 64;
			c->snd_wnd = wnd;
			http_conns++;
			tcp_send(c, TH_SYN | TH_ACK, c->iss, 0, 0);
			return;
		}
		/* A late segment of a connection already closed: acknowledge it, as TIME_WAIT would. */
		if ((flags & TH_ACK) && seglen) {
			tcp_dups++;
			tcp_raw(eth_src, src, dport, sport, ack, seq + seglen, TH_ACK, MY_WINDOW, 0, 0, 0);
		}
		return;
	}

	if (flags & TH_RST) {
		if (seq_le(c->rcv_nxt, seq) && seq_lt(seq, c->rcv_nxt + MY_WINDOW)) {
			tcp_resets++;
			c->state = T_FREE;
		}
		return;
	}
	if (flags & TH_SYN) {
		/* our SYN-ACK again, for a SYN sent again */
		if (c->state == T_SYN_RCVD && seq + 1 == c->rcv_nxt) {
			tcp_dups++;
			tcp_send(c, TH_SYN | TH_ACK, c->iss, 0, 0);
		}
		return;
	}
	if (!(flags & TH_ACK))
		return;
	if (c->state == T_SYN_RCVD) {
		if (ack != c->iss + 1) {
			tcp_raw(eth_src, src, dport, sport, ack, 0, TH_RST, 0, 0, 0, 0);
			return;
		}
		c->state = T_OPEN;
		c->snd_una = ack;
	}
	if (seq_lt(c->snd_una, ack) && seq_le(ack, c->snd_nxt))
		c->snd_una = ack;
	c->snd_wnd = wnd;

	int need_ack = 0;
	if (dlen || (flags & TH_FIN)) {
		need_ack = 1;
		uint32_t skip = c->rcv_nxt - seq;
		if (seq_le(seq, c->rcv_nxt) && skip <= dlen && !c->fin_rcvd) {
			if (skip < dlen) {
				request_bytes(c, data + skip, dlen - skip);
				c->rcv_nxt += dlen - skip;
			} else if (!(flags & TH_FIN)) {
				tcp_dups++;
			}
			if (flags & TH_FIN) {
				c->rcv_nxt++;
				c->fin_rcvd = 1;
			}
		} else {
			tcp_dups++;	/* old or out of order: say what we expect */
		}
	}
	if (tcp_output(c))
		need_ack = 0;
	if (need_ack)
		tcp_send(c, TH_ACK, c->snd_nxt, 0, 0);
	if (c->fin_rcvd && c->fin_sent && c->snd_una == c->snd_nxt) {
		if (c->responding == 1)
			http_served++;
		c->state = T_FREE;
	}
}

/* ---- input ---- */

void eth_input(uint8_t *f, unsigned len)
{
	if (len < 14)
		return;
	if (memcmp(f, my_mac, 6) && memcmp(f, broadcast, 6))
		return;
	uint16_t type = get16(f + 12);
	uint8_t *p = f + 14;
	len -= 14;
	if (type == ETH_ARP) {
		arp_input(p, len);
		return;
	}
	if (type != ETH_IP || len < 20 || p[0] >> 4 != 4)
		return;
	unsigned ihl = (p[0] & 15) * 4u, total = get16(p + 2);
	if (ihl < 20 || total < ihl || total > len || csum_fold(csum_add(0, p, ihl)) != 0)
		return;
	if (get16(p + 6) & 0x3fff)
		return;	/* fragments: never sent on this link */
	uint32_t src = get32(p + 12), dst = get32(p + 16);
	uint8_t proto = p[9];
	if (proto == PROTO_UDP) {
		udp_input(f + 6, src, dst, p + ihl, total - ihl);
		return;
	}
	if (!my_ip || dst != my_ip)
		return;
	if (proto == PROTO_ICMP)
		icmp_input(f + 6, src, p + ihl, total - ihl);
	else if (proto == PROTO_TCP)
		tcp_input(f + 6, src, dst, p + ihl, total - ihl);
}
