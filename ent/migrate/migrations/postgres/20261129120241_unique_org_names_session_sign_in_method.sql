-- Create index "organizations_name_key" to table: "organizations"
CREATE UNIQUE INDEX "organizations_name_key" ON "organizations" ("name");
-- Modify "sessions" table
ALTER TABLE "sessions" ADD COLUMN "sign_in_method" character varying NOT NULL DEFAULT 'demo';
