import type { CSSProperties, ReactNode } from 'react';
import type { EmailPayload } from './payload';
import { Body, Button, Container, Head, Hr, Html, Link, Preview, Section, Text } from '@react-email/components';

/*
 * The shared frame of every Tokenwarden email. Inline styles and system fonts only:
 * nothing is fetched when the email is opened (no web fonts, no remote images).
 */

const fontFamily = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

const styles = {
  body: { backgroundColor: '#f4f4f5', fontFamily, margin: 0, padding: '24px 0' },
  container: {
    backgroundColor: '#ffffff',
    border: '1px solid #e4e4e7',
    borderRadius: '8px',
    margin: '0 auto',
    maxWidth: '560px',
    padding: '24px 32px',
  },
  brand: { color: '#18181b', fontSize: '14px', fontWeight: 600, letterSpacing: '0.02em', margin: '0 0 16px' },
  heading: { color: '#18181b', fontSize: '20px', fontWeight: 600, lineHeight: '28px', margin: '0 0 12px' },
  paragraph: { color: '#3f3f46', fontSize: '15px', lineHeight: '24px', margin: '0 0 16px' },
  detail: {
    backgroundColor: '#fafafa',
    borderLeft: '3px solid #d4d4d8',
    color: '#3f3f46',
    fontSize: '14px',
    lineHeight: '22px',
    margin: '0 0 16px',
    padding: '8px 12px',
  },
  button: {
    backgroundColor: '#18181b',
    borderRadius: '6px',
    color: '#ffffff',
    display: 'inline-block',
    fontSize: '15px',
    fontWeight: 600,
    padding: '12px 20px',
    textDecoration: 'none',
  },
  plainLink: { color: '#52525b', fontSize: '13px', lineHeight: '20px', margin: '0 0 16px', wordBreak: 'break-all' },
  link: { color: '#2563eb' },
  rule: { borderColor: '#e4e4e7', margin: '24px 0 16px' },
  footer: { color: '#71717a', fontSize: '12px', lineHeight: '18px', margin: 0 },
} as const satisfies Record<string, CSSProperties>;

export function EmailLayout({ preview, heading, children }: { preview: string; heading: string; children: ReactNode }) {
  return (
    <Html lang="en">
      <Head />
      <Preview>{preview}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Text style={styles.brand}>Tokenwarden</Text>
          <Text style={styles.heading}>{heading}</Text>
          {children}
          <Hr style={styles.rule} />
          <Text style={styles.footer}>You get this email because you manage this connection in Tokenwarden.</Text>
        </Container>
      </Body>
    </Html>
  );
}

/**
 * An email about a connection: the title and message the refresh policy wrote
 * (lib/owed/messages.ts), as written, then the account and the template's own parts.
 */
export function PolicyEmail({ payload, children }: { payload: EmailPayload; children: ReactNode }) {
  const account = payload.account_label?.trim();
  return (
    <EmailLayout preview={payload.message} heading={payload.title}>
      <Paragraph>{payload.message}</Paragraph>
      {account ? <Paragraph>Account: {account}</Paragraph> : null}
      {children}
    </EmailLayout>
  );
}

export function Paragraph({ children }: { children: ReactNode }) {
  return <Text style={styles.paragraph}>{children}</Text>;
}

/** A quoted detail such as the provider's reason for a disconnection. */
export function Detail({ children }: { children: ReactNode }) {
  return <Text style={styles.detail}>{children}</Text>;
}

export function ActionButton({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Section style={{ margin: '8px 0 16px' }}>
      <Button href={href} style={styles.button}>
        {children}
      </Button>
    </Section>
  );
}

/**
 * The link written out under a button, for clients that block buttons. Left out of the
 * plain-text part, where the button already reads as its label followed by the URL.
 */
export function WrittenOutLink({ href }: { href: string }) {
  return (
    <Text style={styles.plainLink} data-skip-in-text="true">
      If the button does not work, copy this link into your browser:{' '}
      <Link href={href} style={styles.link}>
        {href}
      </Link>
    </Text>
  );
}

export function InlineLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link href={href} style={styles.link}>
      {children}
    </Link>
  );
}
