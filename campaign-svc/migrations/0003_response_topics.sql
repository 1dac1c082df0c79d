-- Response by topic (issue 15 item 3): the contact-report topics (common/base/contact_topics.h)
-- that count as a response to the campaign when it is measured; empty: every topic. Campaigns
-- created before name none.
ALTER TABLE ${schema}.campaigns ADD COLUMN response_topics text[] NOT NULL DEFAULT '{}';
-- And the contact channels that count (ResponseChannel numbers, 1..4); empty: every channel.
ALTER TABLE ${schema}.campaigns ADD COLUMN response_channels smallint[] NOT NULL DEFAULT '{}'
  CHECK (response_channels <@ '{1,2,3,4}'::smallint[]);

-- The latest response measurement asked for through campaign-svc (MeasureResponse): its name in
-- analysis-svc and headline figures, as JSON; NULL until the first. Not an edit of the campaign.
ALTER TABLE ${schema}.campaigns ADD COLUMN latest_response jsonb;
